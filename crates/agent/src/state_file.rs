//! The agent's identity on disk (`<data dir>/agent-state.json`): the owner id its containers
//! carry and, per cluster, its container instance ARN and the last sequence number it
//! applied, so a restarted agent re-registers as the same instance and re-adopts its
//! containers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Membership {
    pub instance_arn: String,
    pub seen_seq: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AgentState {
    pub owner: String,
    pub clusters: BTreeMap<String, Membership>,
}

pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(data_dir: &Path) -> Self {
        StateFile {
            path: data_dir.join("agent-state.json"),
        }
    }

    /// The saved state, or a new one with a fresh owner id.
    pub fn load(&self) -> std::io::Result<AgentState> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AgentState {
                owner: uuid::Uuid::new_v4().to_string(),
                clusters: BTreeMap::new(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Writes atomically (temp file, fsync, rename).
    pub fn save(&self, state: &AgentState) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &bytes)
    }
}

/// Replaces `path` with `bytes` so that a crash leaves the old file or the new one: writes a
/// temp file beside it, fsyncs, renames. Creates the folder if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(dir.path());
        let mut state = file.load().expect("fresh");
        assert!(!state.owner.is_empty());
        state.clusters.insert(
            "default".into(),
            Membership {
                instance_arn: "arn:x".into(),
                seen_seq: 7,
            },
        );
        file.save(&state).expect("saved");
        assert_eq!(StateFile::new(dir.path()).load().expect("loaded"), state);
        std::fs::write(dir.path().join("agent-state.json"), b"{not json").expect("write");
        assert!(StateFile::new(dir.path()).load().is_err());
    }
}
