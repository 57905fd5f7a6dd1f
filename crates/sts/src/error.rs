//! The errors an STS operation answers with.

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StsError {
    /// A model constraint the request breaks.
    #[error("{0}")]
    Validation(String),
    /// The request's document does not fit the operation's input.
    #[error("{0}")]
    Malformed(String),
    /// An operation of the model Berth does not answer yet.
    #[error("{0}")]
    NotYet(String),
    /// The caller may not (a trust policy that does not name it, session credentials
    /// asking for a session).
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    MalformedPolicy(String),
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// A real fault on Berth's side.
    #[error("{0}")]
    Internal(String),
}

impl StsError {
    pub fn code(&self) -> &'static str {
        match self {
            StsError::Validation(_) => "ValidationError",
            StsError::Malformed(_) => "MalformedQueryString",
            StsError::NotYet(_) => "InvalidAction",
            StsError::AccessDenied(_) => "AccessDenied",
            StsError::MalformedPolicy(_) => "MalformedPolicyDocument",
            StsError::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            StsError::Internal(_) => "InternalFailure",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            StsError::Internal(_) => 500,
            StsError::AccessDenied(_) => 403,
            _ => 400,
        }
    }
}

impl From<StsError> for AwsError {
    fn from(e: StsError) -> Self {
        AwsError::new(e.status(), e.code(), e.to_string())
    }
}

pub type Result<T, E = StsError> = std::result::Result<T, E>;
