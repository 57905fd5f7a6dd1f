//! The errors an IAM operation answers with: each variant one exception of the model, with
//! the model's HTTP status.

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    MalformedCertificate(String),
    #[error("{0}")]
    KeyPairMismatch(String),
    /// A model constraint the request breaks.
    #[error("{0}")]
    Validation(String),
    /// The request's document does not fit the operation's input.
    #[error("{0}")]
    Malformed(String),
    /// An operation of the model Berth does not answer yet.
    #[error("{0}")]
    NotYet(String),
    /// A real fault on Berth's side; nothing was changed.
    #[error("{0}")]
    ServiceFailure(String),
    /// A staged write found the writer busy (never answered: the server runs it again).
    #[error("The writer is busy.")]
    Busy,
}

impl IamError {
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::MalformedCertificate(_) => "MalformedCertificate",
            IamError::KeyPairMismatch(_) => "KeyPairMismatch",
            IamError::Validation(_) => "ValidationError",
            IamError::Malformed(_) => "MalformedQueryString",
            IamError::NotYet(_) => "InvalidAction",
            IamError::ServiceFailure(_) | IamError::Busy => "ServiceFailure",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_) | IamError::DeleteConflict(_) => 409,
            IamError::LimitExceeded(_) => 409,
            IamError::ServiceFailure(_) | IamError::Busy => 500,
            _ => 400,
        }
    }

    pub fn no_user(name: &str) -> Self {
        IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
    }

    pub fn no_group(name: &str) -> Self {
        IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
    }

    pub fn no_role(name: &str) -> Self {
        IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
    }
}

impl From<berth_commit::CommitError> for IamError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => IamError::Busy,
            other => IamError::ServiceFailure(other.to_string()),
        }
    }
}

impl From<berth_sealing::SealError> for IamError {
    fn from(e: berth_sealing::SealError) -> Self {
        tracing::error!(error = %e, "sealing an access key's secret or a private key failed");
        IamError::ServiceFailure("A secret could not be sealed or opened.".into())
    }
}

impl From<IamError> for AwsError {
    fn from(e: IamError) -> Self {
        match e {
            IamError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = IamError> = std::result::Result<T, E>;
