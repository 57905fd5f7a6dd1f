//! Why a request failed authentication, and how that is reported on the wire.
//!
//! The variants follow the error codes that AWS JSON-protocol services
//! (ECS, DynamoDB, ...) put in the `__type` field of an error body, so that
//! SDKs and the CLI classify a Berth failure exactly as they would an AWS one.
//! The `Display` text of each variant is the `message` to send.

/// The message AWS sends with every signature mismatch.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match \
the signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
service documentation for details.";

/// A request that could not be authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither an `Authorization` header nor presigned query parameters were sent.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,

    /// Authentication was attempted but a required part is missing or malformed
    /// (algorithm, credential scope, signed headers, date, expiry...).
    /// The string names what is wrong.
    #[error("{0}")]
    IncompleteSignature(String),

    /// The access key id is not known to the credential provider.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,

    /// The signature is well formed but is not the one we computed.
    ///
    /// The canonical request and string to sign that the server computed are kept
    /// for server-side debug logging; they are not part of the message.
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    SignatureDoesNotMatch {
        /// Canonical request the server computed (first payload-hash candidate).
        canonical_request: String,
        /// String to sign the server computed from it.
        string_to_sign: String,
    },

    /// The request time is outside the accepted window, or a presigned URL has expired.
    #[error("{0}")]
    SignatureExpired(String),

    /// Any other semantic signature problem, e.g. a credential scope date that is not
    /// the request date.
    #[error("{0}")]
    InvalidSignature(String),

    /// `x-amz-content-sha256` names a hash that is not the hash of the body received.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,
}

impl AuthError {
    /// The AWS error code (the JSON protocol's `__type`).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::SignatureDoesNotMatch { .. }
            | AuthError::SignatureExpired(_)
            | AuthError::InvalidSignature(_)
            | AuthError::ContentSha256Mismatch => "InvalidSignatureException",
        }
    }

    /// The HTTP status code to answer with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::IncompleteSignature(_) => 400,
            AuthError::MissingAuthenticationToken
            | AuthError::UnrecognizedClient
            | AuthError::SignatureDoesNotMatch { .. }
            | AuthError::SignatureExpired(_)
            | AuthError::InvalidSignature(_)
            | AuthError::ContentSha256Mismatch => 403,
        }
    }

    /// The human-readable message (same as `Display`).
    pub fn message(&self) -> String {
        self.to_string()
    }

    pub(crate) fn incomplete(msg: impl Into<String>) -> Self {
        AuthError::IncompleteSignature(msg.into())
    }
}
