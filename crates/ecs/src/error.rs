//! The errors an ECS operation answers with. Each variant is one `__type` of the ECS model
//! (or of the AWS JSON protocol); the transport turns them into wire responses in one place.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EcsError {
    #[error("{0}")]
    Client(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error("Cluster not found.")]
    ClusterNotFound,
    #[error("The Cluster cannot be deleted while Container Instances are active or draining.")]
    ClusterContainsContainerInstances,
    #[error("The Cluster cannot be deleted while Services are active.")]
    ClusterContainsServices,
    #[error("The Cluster cannot be deleted while Tasks are active.")]
    ClusterContainsTasks,
    #[error("Service not found.")]
    ServiceNotFound,
    #[error("Service was not ACTIVE.")]
    ServiceNotActive,
    #[error("{0}")]
    ServiceDeploymentNotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    AttributeLimitExceeded(String),
    #[error("{0}")]
    TargetNotFound(String),
    #[error("{0}")]
    UpdateInProgress(String),
    #[error("{0}")]
    NoUpdateAvailable(String),
    #[error("{0}")]
    MissingVersion(String),
    #[error("{0}")]
    UnsupportedFeature(String),
    /// The body is not JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// A real fault on our side (for example the store failed); nothing was changed.
    #[error("{0}")]
    Server(String),
    /// A staged write found the writer busy and changed nothing (never answered: the server
    /// runs the call again where it may wait).
    #[error("The writer is busy.")]
    Busy,
}

impl EcsError {
    /// The `__type` sent on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            EcsError::Client(_) => "ClientException",
            EcsError::InvalidParameter(_) => "InvalidParameterException",
            EcsError::ClusterNotFound => "ClusterNotFoundException",
            EcsError::ClusterContainsContainerInstances => {
                "ClusterContainsContainerInstancesException"
            }
            EcsError::ClusterContainsServices => "ClusterContainsServicesException",
            EcsError::ClusterContainsTasks => "ClusterContainsTasksException",
            EcsError::ServiceNotFound => "ServiceNotFoundException",
            EcsError::ServiceNotActive => "ServiceNotActiveException",
            EcsError::ServiceDeploymentNotFound(_) => "ServiceDeploymentNotFoundException",
            EcsError::Conflict(_) => "ConflictException",
            EcsError::ResourceNotFound(_) => "ResourceNotFoundException",
            EcsError::ResourceInUse(_) => "ResourceInUseException",
            EcsError::LimitExceeded(_) => "LimitExceededException",
            EcsError::AttributeLimitExceeded(_) => "AttributeLimitExceededException",
            EcsError::TargetNotFound(_) => "TargetNotFoundException",
            EcsError::UpdateInProgress(_) => "UpdateInProgressException",
            EcsError::NoUpdateAvailable(_) => "NoUpdateAvailableException",
            EcsError::MissingVersion(_) => "MissingVersionException",
            EcsError::UnsupportedFeature(_) => "UnsupportedFeatureException",
            EcsError::Serialization(_) => "SerializationException",
            EcsError::Server(_) | EcsError::Busy => "ServerException",
        }
    }

    /// HTTP status: 500 only for a server fault, 400 for every client mistake.
    pub fn status(&self) -> u16 {
        match self {
            EcsError::Server(_) | EcsError::Busy => 500,
            _ => 400,
        }
    }

    pub fn client(msg: impl Into<String>) -> Self {
        EcsError::Client(msg.into())
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        EcsError::InvalidParameter(msg.into())
    }
}

impl From<berth_commit::CommitError> for EcsError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => EcsError::Busy,
            other => EcsError::Server(other.to_string()),
        }
    }
}

impl From<EcsError> for berth_aws::AwsError {
    fn from(e: EcsError) -> Self {
        match e {
            EcsError::Busy => berth_aws::AwsError::busy(),
            e => berth_aws::AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

impl From<berth_store::StoreError> for EcsError {
    fn from(e: berth_store::StoreError) -> Self {
        tracing::error!(error = %e, "store commit failed");
        EcsError::Server("The service could not save the change; nothing was changed.".into())
    }
}

pub type Result<T, E = EcsError> = std::result::Result<T, E>;
