//! The stored form of a sealed value: `s1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::SealError;

/// The nonce length of XChaCha20-Poly1305.
pub const NONCE: usize = 24;
/// The tag length of Poly1305.
pub const TAG: usize = 16;

/// A parsed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub key_id: String,
    pub nonce: [u8; NONCE],
    /// The ciphertext with its tag.
    pub sealed: Vec<u8>,
}

impl Envelope {
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(NONCE + self.sealed.len());
        bytes.extend_from_slice(&self.nonce);
        bytes.extend_from_slice(&self.sealed);
        format!("s1:{}:{}", self.key_id, STANDARD.encode(bytes))
    }

    pub fn parse(text: &str) -> Result<Envelope, SealError> {
        let mut parts = text.splitn(3, ':');
        let (Some("s1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::BadEnvelope);
        };
        let bytes = STANDARD.decode(body).map_err(|_| SealError::BadEnvelope)?;
        if key_id.is_empty() || bytes.len() < NONCE + TAG {
            return Err(SealError::BadEnvelope);
        }
        let mut nonce = [0u8; NONCE];
        nonce.copy_from_slice(&bytes[..NONCE]);
        Ok(Envelope {
            key_id: key_id.to_owned(),
            nonce,
            sealed: bytes[NONCE..].to_vec(),
        })
    }

    /// The key id of an envelope's text, without decoding the rest.
    pub fn key_id_of(text: &str) -> Option<&str> {
        let rest = text.strip_prefix("s1:")?;
        rest.split(':').next().filter(|k| !k.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_garbage_is_refused() {
        let e = Envelope {
            key_id: "k2".into(),
            nonce: [7; NONCE],
            sealed: vec![1; TAG + 3],
        };
        let text = e.encode();
        assert_eq!(Envelope::key_id_of(&text), Some("k2"));
        assert_eq!(Envelope::parse(&text).expect("parse"), e);
        for bad in [
            "",
            "s1:",
            "s1:k:",
            "s2:k:AAAA",
            "s1::AAAA",
            "s1:k:!!",
            "s1:k:AAAA",
        ] {
            assert!(Envelope::parse(bad).is_err(), "{bad}");
        }
    }
}
