//! The key ring file: one key per line, `<id> <64 hex digits>`, the last current. It is
//! created (mode 0600, fsynced) the first time a server starts on a data directory, and
//! rotated by appending a line ([`KeyRing::rotate`], `berth sealing-key rotate`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::envelope::{Envelope, NONCE};
use crate::{random_bytes, SealError};

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

pub struct KeyRing {
    path: PathBuf,
    keys: Vec<Key>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        f.debug_struct("KeyRing")
            .field("path", &self.path)
            .field("keys", &self.keys.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Reads the key ring at `path`, creating it with one new key if there is none.
    pub fn load_or_create(path: &Path) -> Result<KeyRing, SealError> {
        if !path.exists() {
            append_key(path, "k1")?;
        }
        KeyRing::load(path)
    }

    /// Reads the key ring at `path`.
    pub fn load(path: &Path) -> Result<KeyRing, SealError> {
        let shown = path.display().to_string();
        let text = fs::read_to_string(path).map_err(|source| SealError::Io {
            path: shown.clone(),
            source,
        })?;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = || SealError::Malformed {
                path: shown.clone(),
                line: n + 1,
            };
            let (id, hex_key) = line.split_once(' ').ok_or_else(malformed)?;
            let bytes = hex::decode(hex_key.trim()).map_err(|_| malformed())?;
            if bytes.len() != 32 || !valid_id(id) || keys.iter().any(|k: &Key| k.id == id) {
                return Err(malformed());
            }
            let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| malformed())?;
            keys.push(Key {
                id: id.to_owned(),
                cipher,
            });
        }
        if keys.is_empty() {
            return Err(SealError::Malformed {
                path: shown,
                line: 0,
            });
        }
        Ok(KeyRing {
            path: path.to_owned(),
            keys,
        })
    }

    /// Adds a new current key to the ring at `path` (a server reads it when it next starts);
    /// answers its id.
    pub fn rotate(path: &Path) -> Result<String, SealError> {
        let ring = KeyRing::load(path)?;
        let next = (1..)
            .map(|n| format!("k{n}"))
            .find(|id| ring.keys.iter().all(|k| &k.id != id))
            .unwrap_or_else(|| "k0".into());
        append_key(path, &next)?;
        Ok(next)
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        self.keys.last().map_or("", |k| k.id.as_str())
    }

    /// The ids of every key, oldest first.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    /// Whether `sealed` is under the current key (else it wants sealing again).
    pub fn is_current(&self, sealed: &str) -> bool {
        Envelope::key_id_of(sealed) == Some(self.current_id())
    }

    /// Seals `plain`, bound to `context`, under the current key.
    pub fn seal(&self, plain: &[u8], context: &str) -> Result<String, SealError> {
        let key = self
            .keys
            .last()
            .ok_or_else(|| SealError::UnknownKey(String::new()))?;
        let mut nonce = [0u8; NONCE];
        random_bytes(&mut nonce)?;
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Forged)?;
        Ok(Envelope {
            key_id: key.id.clone(),
            nonce,
            sealed,
        }
        .encode())
    }

    /// Opens what [`KeyRing::seal`] sealed with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let e = Envelope::parse(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == e.key_id)
            .ok_or_else(|| SealError::UnknownKey(e.key_id.clone()))?;
        key.cipher
            .decrypt(
                XNonce::from_slice(&e.nonce),
                Payload {
                    msg: &e.sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Forged)
    }

    /// Seals again under the current key what an older key sealed; None if it is current.
    pub fn reseal(&self, sealed: &str, context: &str) -> Result<Option<String>, SealError> {
        if self.is_current(sealed) {
            return Ok(None);
        }
        let plain = self.open(sealed, context)?;
        self.seal(&plain, context).map(Some)
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Appends a new random key named `id` to the file at `path` (created 0600), durably.
fn append_key(path: &Path, id: &str) -> Result<(), SealError> {
    let io_err = |source: io::Error| SealError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut key = [0u8; 32];
    random_bytes(&mut key)?;
    let fresh = !path.exists();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_err)?;
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err)?;
    let mut line = String::new();
    if fresh {
        line.push_str("# Berth's sealing keys: the last line is the current key. Keep this file\n");
        line.push_str(
            "# secret and back it up with the data directory; without it sealed values\n",
        );
        line.push_str("# (secrets, SecureString parameters) cannot be read.\n");
    }
    line.push_str(&format!("{id} {}\n", hex::encode(key)));
    f.write_all(line.as_bytes()).map_err(io_err)?;
    f.sync_all().map_err(io_err)?;
    if fresh {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io_err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_rotated_ring_opens_old_values_and_seals_with_the_new_key() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keys");
        let ring = KeyRing::load_or_create(&path).expect("create");
        assert_eq!(ring.current_id(), "k1");
        let old = ring.seal(b"v", "c").expect("seal");
        assert_eq!(KeyRing::rotate(&path).expect("rotate"), "k2");
        let ring = KeyRing::load_or_create(&path).expect("reopen");
        assert_eq!(ring.ids(), vec!["k1", "k2"]);
        assert!(!ring.is_current(&old));
        assert_eq!(ring.open(&old, "c").expect("open"), b"v");
        let new = ring.reseal(&old, "c").expect("reseal").expect("was old");
        assert!(ring.is_current(&new));
        assert_eq!(ring.reseal(&new, "c").expect("reseal"), None);
        let mode = fs::metadata(&path).expect("meta").permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }

    #[test]
    fn malformed_rings_and_foreign_envelopes_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        for (n, text) in [
            "",
            "k1 abcd\n",
            "k1\n",
            &format!("k1 {}\nk1 {}\n", "0".repeat(64), "1".repeat(64)),
        ]
        .iter()
        .enumerate()
        {
            let p = dir.path().join(format!("bad{n}"));
            fs::write(&p, text).expect("write");
            assert!(KeyRing::load(&p).is_err(), "{text:?}");
        }
        let a = KeyRing::load_or_create(&dir.path().join("a")).expect("a");
        let b = KeyRing::load_or_create(&dir.path().join("b")).expect("b");
        let sealed = a.seal(b"x", "c").expect("seal");
        assert!(matches!(b.open(&sealed, "c"), Err(SealError::Forged)));
    }

    proptest! {
        #[test]
        fn values_open_only_with_their_context(plain in proptest::collection::vec(any::<u8>(), 0..256),
                                               ctx in "[a-z:/]{0,20}", other in "[a-z:/]{0,20}") {
            let dir = tempfile::tempdir().expect("dir");
            let ring = KeyRing::load_or_create(&dir.path().join("k")).expect("ring");
            let sealed = ring.seal(&plain, &ctx).expect("seal");
            prop_assert_eq!(ring.open(&sealed, &ctx).expect("open"), plain);
            if other != ctx {
                prop_assert!(ring.open(&sealed, &other).is_err());
            }
        }
    }
}
