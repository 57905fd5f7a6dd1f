//! An image's file system, as far as a scan needs it: its layers applied in order, with
//! their whiteouts, keeping only the files a scan reads.
//!
//! A layer is a tar stream, gzip-compressed or not (told apart by its first bytes, so the
//! manifest's media type need not be trusted). In a layer, `dir/.wh.name` deletes `dir/name`
//! (and all below it) from the layers beneath, and `dir/.wh..wh..opq` empties `dir` of what
//! the layers beneath put there; a layer's own files are never hidden by its own whiteouts
//! (the OCI image layer specification). Any other entry replaces what was at its path, and
//! an entry that is not a directory replaces a directory of the layers beneath with all it
//! held. Symbolic links are kept too, and followed in every component when a file is read
//! (`etc/os-release` is a link to `../usr/lib/os-release` on Debian; `lib` links to
//! `usr/lib` on a merged-/usr system).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use crate::error::ScanError;

/// The largest file a scan reads into memory (a dpkg status file of a large image is a few
/// MiB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most symbolic links one lookup follows (as Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// What a kept path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    /// A symbolic link's target, as written.
    Link(String),
}

/// The kept files of the layers applied so far.
#[derive(Debug, Default)]
pub struct Rootfs {
    files: BTreeMap<String, Node>,
    layers: usize,
}

/// Whether a scan keeps the file at `path` (normalised: no leading `/` or `./`): any
/// `os-release`, `…/dpkg/status`, `…/dpkg/status.d/*` and `…/apk/db/installed`, wherever it
/// is — a link may lead there (`var/lib/dpkg` → `/opt/dpkg`), and which links exist is
/// only known once every layer is applied.
pub fn is_kept(path: &str) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let under = |suffix: &str| {
        dir == suffix
            || dir
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('/'))
    };
    !name.is_empty()
        && (name == "os-release"
            || (name == "status" && under("dpkg"))
            || under("dpkg/status.d")
            || (name == "installed" && under("apk/db")))
}

/// A tar path without `./`, leading or trailing `/`, and `.` components; None if it climbs
/// out with `..`.
pub fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A layer's effect, gathered before it is applied (its whiteouts act on the layers
/// beneath only).
#[derive(Default)]
struct Change {
    /// Paths removed with everything under them.
    removed: Vec<String>,
    /// Directories emptied (opaque).
    emptied: Vec<String>,
    /// Entries that are not directories (kept or not): they replace directories beneath.
    replaced: Vec<String>,
    added: Vec<(String, Node)>,
}

fn remove_under(files: &mut BTreeMap<String, Node>, dir: &str, with_itself: bool) {
    if with_itself {
        files.remove(dir);
    }
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = files
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        files.remove(&k);
    }
}

impl Rootfs {
    pub fn new() -> Rootfs {
        Rootfs::default()
    }

    /// How many layers were applied.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// Applies the next layer (a tar stream, gzip-compressed or not).
    pub fn apply_layer(&mut self, layer: impl Read) -> Result<(), ScanError> {
        let index = self.layers;
        let fault = |detail: String| ScanError::Layer { index, detail };
        let mut reader = BufReader::new(layer);
        let head = reader
            .fill_buf()
            .map_err(|e| fault(format!("reading it: {e}")))?;
        let change = match head {
            [0x1f, 0x8b, ..] => read_tar(flate2::read::MultiGzDecoder::new(reader)),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => {
                return Err(ScanError::UnsupportedLayer {
                    index,
                    what: "zstd-compressed".into(),
                })
            }
            _ => read_tar(reader),
        }
        .map_err(|e| match e {
            ScanError::Layer { detail, .. } => fault(detail),
            other => other,
        })?;
        for path in &change.removed {
            remove_under(&mut self.files, path, true);
        }
        for dir in &change.emptied {
            remove_under(&mut self.files, dir, false);
        }
        for path in &change.replaced {
            remove_under(&mut self.files, path, true);
        }
        for (path, node) in change.added {
            self.files.insert(path, node);
        }
        self.layers += 1;
        Ok(())
    }

    /// Where `path` leads once the symbolic links of the image are followed, in every
    /// component (`lib` → `usr/lib` on a merged-/usr system); None for a loop.
    fn resolve(&self, path: &str) -> Option<String> {
        let mut todo: std::collections::VecDeque<String> =
            path.split('/').map(str::to_owned).collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = todo.pop_front() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => done.push(part),
            }
            if let Some(Node::Link(target)) = self.files.get(&done.join("/")) {
                hops += 1;
                if hops > MAX_LINKS {
                    return None;
                }
                done.pop();
                if target.starts_with('/') {
                    done.clear();
                }
                for t in target.split('/').rev() {
                    todo.push_front(t.to_owned());
                }
            }
        }
        Some(done.join("/"))
    }

    /// The bytes of the file at `path` (normalised), following symbolic links.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        match self.files.get(&self.resolve(path)?)? {
            Node::File(bytes) => Some(bytes),
            Node::Link(_) => None,
        }
    }

    /// The kept files under `dir/` (one level), by name, in order.
    pub fn files_in(&self, dir: &str) -> Vec<(&str, &[u8])> {
        let Some(dir) = self.resolve(dir) else {
            return Vec::new();
        };
        let prefix = format!("{dir}/");
        self.files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .filter_map(|(k, _)| Some((&k[prefix.len()..], self.read(k)?)))
            .collect()
    }
}

/// Reads one layer's entries into the change they make.
fn read_tar(r: impl Read) -> Result<Change, ScanError> {
    let fault = |detail: String| ScanError::Layer { index: 0, detail };
    let mut archive = tar::Archive::new(r);
    let mut change = Change::default();
    let entries = archive
        .entries()
        .map_err(|e| fault(format!("not a tar stream: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| fault(format!("a tar entry is malformed: {e}")))?;
        let raw = entry
            .path()
            .map_err(|e| fault(format!("a tar entry's path is unreadable: {e}")))?
            .to_string_lossy()
            .into_owned();
        let Some(path) = normalise(&raw) else {
            continue;
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if name == ".wh..wh..opq" {
            change.emptied.push(dir.to_owned());
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let target = if dir.is_empty() {
                hidden.to_owned()
            } else {
                format!("{dir}/{hidden}")
            };
            change.removed.push(target);
            continue;
        }
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        change.replaced.push(path.clone());
        // Every symbolic link is kept (a directory on the way to a database may be one);
        // of the rest, only the files a scan reads.
        if !kind.is_symlink() && !is_kept(&path) {
            continue;
        }
        let link = || -> Result<String, ScanError> {
            let target = entry
                .link_name()
                .map_err(|e| fault(format!("the link {path} is unreadable: {e}")))?
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(target)
        };
        let node = if kind.is_symlink() {
            Node::Link(link()?)
        } else if kind.is_hard_link() {
            // A hard link names its target from the archive's root.
            Node::Link(format!("/{}", link()?))
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            if entry.size() > MAX_FILE_BYTES {
                return Err(ScanError::FileTooLarge {
                    path,
                    size: entry.size(),
                });
            }
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| fault(format!("reading {path}: {e}")))?;
            Node::File(bytes)
        } else {
            continue;
        };
        change.added.push((path, node));
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised() {
        assert_eq!(
            normalise("./etc/os-release").as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(
            normalise("/var//lib/./dpkg/").as_deref(),
            Some("var/lib/dpkg")
        );
        assert_eq!(
            normalise("etc/../usr/lib/os-release").as_deref(),
            Some("usr/lib/os-release")
        );
        assert_eq!(normalise("../etc"), None);
    }

    #[test]
    fn only_package_databases_and_os_release_are_kept() {
        assert!(is_kept("var/lib/dpkg/status"));
        assert!(is_kept("var/lib/dpkg/status.d/base"));
        assert!(!is_kept("var/lib/dpkg/status.d/"));
        assert!(!is_kept("var/lib/dpkg/status.d/a/b"));
        assert!(!is_kept("var/lib/dpkg/status-old"));
        assert!(!is_kept("var/lib/xdpkg/status"));
        assert!(!is_kept("etc/passwd"));
        assert!(is_kept("lib/apk/db/installed"));
        assert!(is_kept("usr/lib/apk/db/installed"));
        assert!(is_kept("opt/dpkg/status"));
        assert!(is_kept("etc/os-release"));
    }
}
