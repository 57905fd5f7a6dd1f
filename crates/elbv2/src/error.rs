//! The errors an ELB operation answers with. ELB has many exceptions that differ only in
//! their code, so one error carries its exception's code, and its HTTP status comes from the
//! model's table (berth-elbv2-model's `ERRORS`).

use berth_aws::AwsError;
use berth_elbv2_model::operations::error_info;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ElbError {
    /// One of the model's exceptions, by shape name (`LoadBalancerNotFoundException`).
    #[error("{message}")]
    Exception {
        shape: &'static str,
        message: String,
    },
    /// A parameter breaks a rule of the API (`ValidationError`, 400).
    #[error("{0}")]
    Validation(String),
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

impl ElbError {
    pub fn exception(shape: &'static str, message: impl Into<String>) -> Self {
        ElbError::Exception {
            shape,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        ElbError::Validation(message.into())
    }

    /// `InvalidConfigurationRequest`: the request is well formed but not a configuration
    /// ELB takes.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        ElbError::exception("InvalidConfigurationRequestException", message)
    }

    pub fn code(&self) -> &'static str {
        match self {
            ElbError::Exception { shape, .. } => error_info(shape).map_or(shape, |i| i.code),
            ElbError::Validation(_) => "ValidationError",
            ElbError::NotYet(_) => "InvalidAction",
            ElbError::ServiceFailure(_) | ElbError::Busy => "InternalFailure",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ElbError::Exception { shape, .. } => error_info(shape).map_or(400, |i| i.http_status),
            ElbError::Validation(_) | ElbError::NotYet(_) => 400,
            ElbError::ServiceFailure(_) | ElbError::Busy => 500,
        }
    }
}

impl From<berth_commit::CommitError> for ElbError {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => ElbError::Busy,
            other => ElbError::ServiceFailure(other.to_string()),
        }
    }
}

impl From<ElbError> for AwsError {
    fn from(e: ElbError) -> Self {
        match e {
            ElbError::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = ElbError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_take_the_models_code_and_status() {
        let e = ElbError::exception("LoadBalancerNotFoundException", "gone");
        assert_eq!((e.code(), e.status()), ("LoadBalancerNotFound", 400));
        let e = ElbError::exception("PriorRequestNotCompleteException", "wait");
        assert_eq!((e.code(), e.status()), ("PriorRequestNotComplete", 429));
        assert_eq!(ElbError::validation("x").code(), "ValidationError");
        let aws: AwsError = ElbError::exception("PriorityInUseException", "taken").into();
        assert_eq!((aws.status, aws.code.as_str()), (400, "PriorityInUse"));
    }
}
