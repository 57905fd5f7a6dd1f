//! The errors a Cloud Map operation answers with: each variant one exception of the
//! servicediscovery model.

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CloudMapError {
    /// Bad input of any kind (Cloud Map answers model violations with it too).
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    NamespaceNotFound(String),
    #[error("{0}")]
    ServiceNotFound(String),
    #[error("{0}")]
    InstanceNotFound(String),
    #[error("{0}")]
    OperationNotFound(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    CustomHealthNotFound(String),
    #[error("{0}")]
    NamespaceAlreadyExists(String),
    #[error("{0}")]
    ServiceAlreadyExists(String),
    #[error("{0}")]
    DuplicateRequest(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    ResourceLimitExceeded(String),
    #[error("{0}")]
    ServiceAttributesLimitExceeded(String),
    #[error("{0}")]
    TooManyTags(String),
    /// The body is not JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// A real fault on Berth's side; nothing was changed.
    #[error("{0}")]
    Internal(String),
    /// A staged write found the writer busy (never answered: the server runs it again).
    #[error("The writer is busy.")]
    Busy,
}

impl CloudMapError {
    pub fn code(&self) -> &'static str {
        use CloudMapError as E;
        match self {
            E::InvalidInput(_) => "InvalidInput",
            E::NamespaceNotFound(_) => "NamespaceNotFound",
            E::ServiceNotFound(_) => "ServiceNotFound",
            E::InstanceNotFound(_) => "InstanceNotFound",
            E::OperationNotFound(_) => "OperationNotFound",
            E::ResourceNotFound(_) => "ResourceNotFoundException",
            E::CustomHealthNotFound(_) => "CustomHealthNotFound",
            E::NamespaceAlreadyExists(_) => "NamespaceAlreadyExists",
            E::ServiceAlreadyExists(_) => "ServiceAlreadyExists",
            E::DuplicateRequest(_) => "DuplicateRequest",
            E::ResourceInUse(_) => "ResourceInUse",
            E::ResourceLimitExceeded(_) => "ResourceLimitExceeded",
            E::ServiceAttributesLimitExceeded(_) => "ServiceAttributesLimitExceededException",
            E::TooManyTags(_) => "TooManyTagsException",
            E::Serialization(_) => "SerializationException",
            E::Internal(_) | E::Busy => "InternalFailure",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            CloudMapError::Internal(_) | CloudMapError::Busy => 500,
            _ => 400,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        CloudMapError::InvalidInput(msg.into())
    }
}

impl From<berth_commit::CommitError> for CloudMapError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => CloudMapError::Busy,
            other => CloudMapError::Internal(other.to_string()),
        }
    }
}

impl From<CloudMapError> for AwsError {
    fn from(e: CloudMapError) -> Self {
        match e {
            CloudMapError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = CloudMapError> = std::result::Result<T, E>;
