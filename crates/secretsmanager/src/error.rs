//! The errors a Secrets Manager operation answers with: each variant one exception of the
//! model (and the `ValidationException` the service answers for constraint violations).

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidNextToken(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceExists(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    PublicPolicy(String),
    #[error("{0}")]
    DecryptionFailure(String),
    /// A model constraint the request breaks, or a malformed name.
    #[error("{0}")]
    Validation(String),
    /// The body is not JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// An operation of the model Berth does not answer yet.
    #[error("{0}")]
    NotYet(String),
    /// A real fault on Berth's side; nothing was changed.
    #[error("{0}")]
    Service(String),
    /// A staged write found the writer busy (never answered: the server runs it again).
    #[error("The writer is busy.")]
    Busy,
}

impl SmError {
    pub fn code(&self) -> &'static str {
        match self {
            SmError::InvalidParameter(_) => "InvalidParameterException",
            SmError::InvalidRequest(_) | SmError::NotYet(_) => "InvalidRequestException",
            SmError::InvalidNextToken(_) => "InvalidNextTokenException",
            SmError::ResourceNotFound(_) => "ResourceNotFoundException",
            SmError::ResourceExists(_) => "ResourceExistsException",
            SmError::LimitExceeded(_) => "LimitExceededException",
            SmError::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            SmError::PublicPolicy(_) => "PublicPolicyException",
            SmError::DecryptionFailure(_) => "DecryptionFailure",
            SmError::Validation(_) => "ValidationException",
            SmError::Serialization(_) => "SerializationException",
            SmError::Service(_) | SmError::Busy => "InternalServiceError",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            SmError::Service(_) | SmError::Busy => 500,
            _ => 400,
        }
    }

    pub fn no_secret() -> Self {
        SmError::ResourceNotFound("Secrets Manager can't find the specified secret.".into())
    }

    pub fn deleted() -> Self {
        SmError::InvalidRequest(
            "You can't perform this operation on the secret because it was marked for deletion."
                .into(),
        )
    }

    pub fn param(msg: impl Into<String>) -> Self {
        SmError::InvalidParameter(msg.into())
    }
}

impl From<berth_commit::CommitError> for SmError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => SmError::Busy,
            other => SmError::Service(other.to_string()),
        }
    }
}

impl From<berth_sealing::SealError> for SmError {
    fn from(e: berth_sealing::SealError) -> Self {
        // Which key or why goes to the log, not to the caller.
        tracing::error!(error = %e, "sealing a secret value failed");
        SmError::DecryptionFailure(
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
                .into(),
        )
    }
}

impl From<SmError> for AwsError {
    fn from(e: SmError) -> Self {
        match e {
            SmError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = SmError> = std::result::Result<T, E>;
