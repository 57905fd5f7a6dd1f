//! The cryptographic half of SigV4: hashing, the signing-key derivation chain,
//! the string to sign, and the constant-time signature comparison.
//!
//! ```text
//! kDate    = HMAC("AWS4" + secret, YYYYMMDD)
//! kRegion  = HMAC(kDate, region)
//! kService = HMAC(kRegion, service)
//! kSigning = HMAC(kService, "aws4_request")
//!
//! StringToSign = "AWS4-HMAC-SHA256" \n RequestDateTime \n CredentialScope \n hex(SHA256(CanonicalRequest))
//! Signature    = hex(HMAC(kSigning, StringToSign))
//! ```

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm this crate verifies.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of every SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// Payload hash a client uses when it chose not to hash the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Derives the signing key for one day, region and service.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// The string to sign for a canonical request.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

/// Hex signature of a string to sign (used by tests and for diagnostics).
#[cfg(test)]
pub(crate) fn signature_hex(key: &[u8], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

/// Whether `provided` (hex) is the signature of `string_to_sign`, compared in
/// constant time. Anything that is not 64 hex digits simply does not match.
pub(crate) fn signature_matches(key: &[u8], string_to_sign: &str, provided: &str) -> bool {
    if provided.len() != 64 {
        return false;
    }
    let Ok(provided) = hex::decode(provided) else {
        return false;
    };
    let mut mac = new_mac(key);
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&provided).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// The worked example of the AWS General Reference ("Examples of how to
    /// derive a signing key"): its published kSigning value.
    #[test]
    fn derives_the_documented_signing_key() {
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    /// The AWS documentation's IAM ListUsers example: hashed canonical request,
    /// string to sign and final signature.
    #[test]
    fn signs_the_documented_iam_example() {
        let creq = "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n\
x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n\
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            sha256_hex(creq.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            creq.as_bytes(),
        );
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        let sig = signature_hex(&key, &sts);
        assert_eq!(
            sig,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        assert!(signature_matches(&key, &sts, &sig));
        assert!(signature_matches(&key, &sts, &sig.to_uppercase()));
        assert!(!signature_matches(&key, &sts, &sig[..63]));
        assert!(!signature_matches(&key, &sts, &format!("{}0", &sig[..63])));
        assert!(!signature_matches(&key, &sts, &"z".repeat(64)));
        assert!(!signature_matches(&key, &sts, ""));
    }
}
