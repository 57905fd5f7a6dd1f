//! How far a container's output has been shipped, kept across agent restarts in
//! `<data dir>/awslogs/<container id>.json`.
//!
//! A line's [`Position`] is its timestamp (ns) and how many lines before it in the output
//! had that same timestamp; the cursor is the position of the last line CloudWatch Logs
//! acknowledged. A restarted agent reads the output again from the cursor's second and skips
//! every line at or before the cursor, so it neither sends a line twice nor leaves one out
//! (given timestamps that do not go backwards, which the Engine's are not meant to).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::state_file::write_atomically;

/// Where a line stands in a container's output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    /// The line's timestamp, ns since the epoch.
    pub ns: i64,
    /// How many lines just before it had the same timestamp.
    pub nth: u32,
}

/// Gives lines their positions, in the order they are read.
#[derive(Debug, Default)]
pub struct Positioner {
    last: Option<Position>,
}

impl Positioner {
    pub fn place(&mut self, ns: i64) -> Position {
        let p = match self.last {
            Some(last) if last.ns == ns => Position {
                ns,
                nth: last.nth.saturating_add(1),
            },
            _ => Position { ns, nth: 0 },
        };
        self.last = Some(p);
        p
    }
}

/// The cursor file of one container.
#[derive(Clone, Debug)]
pub struct CursorFile {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    /// What the lines went to, for whoever reads the file.
    group: String,
    stream: String,
    acknowledged: Position,
}

impl CursorFile {
    pub fn new(dir: &Path, container_id: &str) -> Self {
        CursorFile {
            path: dir.join(format!("{container_id}.json")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last acknowledged line; `None` when nothing was shipped yet. An unreadable file
    /// counts as nothing shipped (lines may go twice; none is lost).
    pub fn load(&self) -> Option<Position> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "log cursor unreadable; shipping from the start");
                return None;
            }
        };
        match serde_json::from_slice::<Saved>(&bytes) {
            Ok(s) => Some(s.acknowledged),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "log cursor corrupt; shipping from the start");
                None
            }
        }
    }

    pub fn save(&self, group: &str, stream: &str, acknowledged: Position) -> std::io::Result<()> {
        let saved = Saved {
            group: group.to_owned(),
            stream: stream.to_owned(),
            acknowledged,
        };
        let bytes = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &bytes)
    }

    /// Removes the file (the container is gone).
    pub fn forget(&self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %self.path.display(), error = %e, "log cursor not removed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_one_timestamp_are_told_apart() {
        let mut p = Positioner::default();
        let placed: Vec<Position> = [5, 5, 5, 7, 7, 9].iter().map(|ns| p.place(*ns)).collect();
        let nth: Vec<u32> = placed.iter().map(|p| p.nth).collect();
        assert_eq!(nth, [0, 1, 2, 0, 1, 0]);
        assert!(placed.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_cursor_survives_a_restart_and_a_bad_file_reads_as_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = CursorFile::new(&dir.path().join("awslogs"), "abc");
        assert_eq!(file.load(), None);
        let at = Position { ns: 42, nth: 3 };
        file.save("g", "s", at).expect("saved");
        assert_eq!(
            CursorFile::new(&dir.path().join("awslogs"), "abc").load(),
            Some(at)
        );
        std::fs::write(file.path(), b"{half").expect("write");
        assert_eq!(file.load(), None);
        file.forget();
        assert!(!file.path().exists());
        file.forget();
    }
}
