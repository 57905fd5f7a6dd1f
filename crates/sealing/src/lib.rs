//! Values sealed at rest. Secrets Manager's secret values and Parameter Store's SecureStrings
//! are stored in the record table only as sealed envelopes; the keys that open them live in a
//! key ring file outside the database (`<data-dir>/sealing.keys` unless the operator names
//! another path), so a copy of the database alone reveals nothing.
//!
//! A key ring holds one or more 256-bit keys, each with an id; the last is current. Sealing
//! uses the current key with a fresh random nonce (XChaCha20-Poly1305) and binds the value to
//! what the caller names as its context (a secret's ARN and version), so an envelope copied
//! onto another record does not open. [`KeyRing::rotate`] adds a new current key: values
//! sealed before keep opening with their key, and a service re-seals them under the current
//! one ([`KeyRing::is_current`] tells which need it), after which the old key can go.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("sealing.keys")).unwrap();
//! let sealed = ring.seal(b"hunter2", "arn:secret:v1").unwrap();
//! assert!(!sealed.contains("hunter2"));
//! assert_eq!(ring.open(&sealed, "arn:secret:v1").unwrap(), b"hunter2");
//! assert!(ring.open(&sealed, "arn:secret:v2").is_err());
//! ```

mod envelope;
mod ring;

pub use envelope::Envelope;
pub use ring::KeyRing;

/// Why a value could not be sealed or opened, or the key ring not read.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the key ring {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the key ring {path} is malformed at line {line}")]
    Malformed { path: String, line: usize },
    #[error("no key {0} in the key ring")]
    UnknownKey(String),
    #[error("the sealed value is malformed")]
    BadEnvelope,
    #[error("the sealed value does not open with its key and context")]
    Forged,
    #[error("the system's random generator failed")]
    Random,
}

/// Fills `buf` from the operating system's random generator.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), SealError> {
    getrandom::fill(buf).map_err(|_| SealError::Random)
}
