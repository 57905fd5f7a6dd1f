//! The errors an ECR operation answers with: each variant one exception of the model (the
//! registry's own errors are `registry::error`).

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EcrError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidTagParameter(String),
    #[error("{0}")]
    TooManyTags(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    RepositoryNotFound(String),
    #[error("{0}")]
    RepositoryAlreadyExists(String),
    #[error("{0}")]
    RepositoryNotEmpty(String),
    #[error("{0}")]
    RepositoryPolicyNotFound(String),
    #[error("{0}")]
    RegistryPolicyNotFound(String),
    #[error("{0}")]
    LifecyclePolicyNotFound(String),
    #[error("{0}")]
    LifecyclePolicyPreviewNotFound(String),
    #[error("{0}")]
    ImageNotFound(String),
    #[error("{0}")]
    ImageAlreadyExists(String),
    #[error("{0}")]
    ImageTagAlreadyExists(String),
    #[error("{0}")]
    ImageDigestDoesNotMatch(String),
    #[error("{0}")]
    ReferencedImagesNotFound(String),
    #[error("{0}")]
    LayersNotFound(String),
    #[error("{0}")]
    LayerAlreadyExists(String),
    #[error("{0}")]
    InvalidLayer(String),
    #[error("{0}")]
    InvalidLayerPart(String),
    #[error("{0}")]
    LayerInaccessible(String),
    #[error("{0}")]
    UploadNotFound(String),
    #[error("{0}")]
    EmptyUpload(String),
    #[error("{0}")]
    ScanNotFound(String),
    #[error("{0}")]
    UnsupportedImageType(String),
    #[error("{0}")]
    PullThroughCacheRuleNotFound(String),
    #[error("{0}")]
    PullThroughCacheRuleAlreadyExists(String),
    #[error("{0}")]
    TemplateNotFound(String),
    #[error("{0}")]
    ExclusionNotFound(String),
    #[error("{0}")]
    ReplicationBackfillNotFound(String),
    #[error("{0}")]
    ReplicationBackfillInProgress(String),
    #[error("{0}")]
    ReplicationBackfillInvalidStatus(String),
    #[error("{0}")]
    ExclusionAlreadyExists(String),
    #[error("{0}")]
    TemplateAlreadyExists(String),
    #[error("{0}")]
    AccessDenied(String),
    /// The body is not JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    /// A real fault on Berth's side; nothing was changed.
    #[error("{0}")]
    Server(String),
    /// A staged write found the writer busy (never answered: the server runs it again).
    #[error("The writer is busy.")]
    Busy,
}

impl EcrError {
    pub fn code(&self) -> &'static str {
        use EcrError as E;
        match self {
            E::InvalidParameter(_) => "InvalidParameterException",
            E::Validation(_) => "ValidationException",
            E::InvalidTagParameter(_) => "InvalidTagParameterException",
            E::TooManyTags(_) => "TooManyTagsException",
            E::LimitExceeded(_) => "LimitExceededException",
            E::RepositoryNotFound(_) => "RepositoryNotFoundException",
            E::RepositoryAlreadyExists(_) => "RepositoryAlreadyExistsException",
            E::RepositoryNotEmpty(_) => "RepositoryNotEmptyException",
            E::RepositoryPolicyNotFound(_) => "RepositoryPolicyNotFoundException",
            E::RegistryPolicyNotFound(_) => "RegistryPolicyNotFoundException",
            E::LifecyclePolicyNotFound(_) => "LifecyclePolicyNotFoundException",
            E::LifecyclePolicyPreviewNotFound(_) => "LifecyclePolicyPreviewNotFoundException",
            E::ImageNotFound(_) => "ImageNotFoundException",
            E::ImageAlreadyExists(_) => "ImageAlreadyExistsException",
            E::ImageTagAlreadyExists(_) => "ImageTagAlreadyExistsException",
            E::ImageDigestDoesNotMatch(_) => "ImageDigestDoesNotMatchException",
            E::ReferencedImagesNotFound(_) => "ReferencedImagesNotFoundException",
            E::LayersNotFound(_) => "LayersNotFoundException",
            E::LayerAlreadyExists(_) => "LayerAlreadyExistsException",
            E::InvalidLayer(_) => "InvalidLayerException",
            E::InvalidLayerPart(_) => "InvalidLayerPartException",
            E::LayerInaccessible(_) => "LayerInaccessibleException",
            E::UploadNotFound(_) => "UploadNotFoundException",
            E::EmptyUpload(_) => "EmptyUploadException",
            E::ScanNotFound(_) => "ScanNotFoundException",
            E::UnsupportedImageType(_) => "UnsupportedImageTypeException",
            E::PullThroughCacheRuleNotFound(_) => "PullThroughCacheRuleNotFoundException",
            E::PullThroughCacheRuleAlreadyExists(_) => "PullThroughCacheRuleAlreadyExistsException",
            E::TemplateNotFound(_) => "TemplateNotFoundException",
            E::ExclusionNotFound(_) => "ExclusionNotFoundException",
            E::ReplicationBackfillNotFound(_) => "ReplicationBackfillNotFoundException",
            E::ReplicationBackfillInProgress(_) => "ReplicationBackfillInProgressException",
            E::ReplicationBackfillInvalidStatus(_) => "ReplicationBackfillInvalidStatusException",
            E::ExclusionAlreadyExists(_) => "ExclusionAlreadyExistsException",
            E::TemplateAlreadyExists(_) => "TemplateAlreadyExistsException",
            E::AccessDenied(_) => "AccessDeniedException",
            E::Serialization(_) => "SerializationException",
            E::Server(_) | E::Busy => "ServerException",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            EcrError::Server(_) | EcrError::Busy => 500,
            _ => 400,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        EcrError::InvalidParameter(msg.into())
    }

    pub fn no_repository(account: &str, name: &str) -> Self {
        EcrError::RepositoryNotFound(format!(
            "The repository with name '{name}' does not exist in the registry with id '{account}'"
        ))
    }

    pub fn not_yet(op: &str) -> Self {
        EcrError::Validation(format!("The operation {op} is not supported by Berth yet."))
    }
}

impl From<berth_commit::CommitError> for EcrError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => EcrError::Busy,
            other => EcrError::Server(other.to_string()),
        }
    }
}

impl From<std::io::Error> for EcrError {
    fn from(e: std::io::Error) -> Self {
        tracing::error!(error = %e, "blob store failed");
        EcrError::Server("The image store could not complete the request.".into())
    }
}

impl From<EcrError> for AwsError {
    fn from(e: EcrError) -> Self {
        match e {
            EcrError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = EcrError> = std::result::Result<T, E>;
