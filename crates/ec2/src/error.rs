//! The errors an EC2 operation answers with. EC2's model declares no exceptions: its errors
//! are codes (`InvalidVpcID.NotFound`, `InvalidPermission.Duplicate`, …), nearly all HTTP
//! 400, rendered by the server as `<Response><Errors><Error>`.

use berth_aws::AwsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Ec2Error {
    /// A client mistake with EC2's code for it (400).
    #[error("{message}")]
    Client { code: &'static str, message: String },
    /// `DryRun` was set and the call would have been made (412, as EC2 answers).
    #[error("Request would have succeeded, but DryRun flag is set.")]
    DryRun,
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

impl Ec2Error {
    pub fn client(code: &'static str, message: impl Into<String>) -> Self {
        Ec2Error::Client {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameterValue`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Ec2Error::client("InvalidParameterValue", message)
    }

    /// `MissingParameter`: the request lacks `name`.
    pub fn missing(name: &str) -> Self {
        Ec2Error::client(
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }

    pub fn no_vpc(id: &str) -> Self {
        Ec2Error::client(
            "InvalidVpcID.NotFound",
            format!("The vpc ID '{id}' does not exist"),
        )
    }

    pub fn no_subnet(id: &str) -> Self {
        Ec2Error::client(
            "InvalidSubnetID.NotFound",
            format!("The subnet ID '{id}' does not exist"),
        )
    }

    pub fn no_group(id: &str) -> Self {
        Ec2Error::client(
            "InvalidGroup.NotFound",
            format!("The security group '{id}' does not exist"),
        )
    }

    pub fn no_rule(id: &str) -> Self {
        Ec2Error::client(
            "InvalidSecurityGroupRuleId.NotFound",
            format!("The security group rule ID '{id}' does not exist"),
        )
    }

    pub fn code(&self) -> &'static str {
        match self {
            Ec2Error::Client { code, .. } => code,
            Ec2Error::DryRun => "DryRunOperation",
            Ec2Error::NotYet(_) => "UnsupportedOperation",
            Ec2Error::ServiceFailure(_) | Ec2Error::Busy => "InternalError",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Ec2Error::Client { .. } | Ec2Error::NotYet(_) => 400,
            Ec2Error::DryRun => 412,
            Ec2Error::ServiceFailure(_) | Ec2Error::Busy => 500,
        }
    }
}

impl From<berth_commit::CommitError> for Ec2Error {
    fn from(e: berth_commit::CommitError) -> Self {
        match e {
            berth_commit::CommitError::Busy => Ec2Error::Busy,
            other => Ec2Error::ServiceFailure(other.to_string()),
        }
    }
}

impl From<Ec2Error> for AwsError {
    fn from(e: Ec2Error) -> Self {
        match e {
            Ec2Error::Busy => AwsError::busy(),
            e => AwsError::new(e.status(), e.code(), e.to_string()),
        }
    }
}

pub type Result<T, E = Ec2Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_ec2s_codes_and_statuses() {
        let aws: AwsError = Ec2Error::no_vpc("vpc-1").into();
        assert_eq!(
            (aws.status, aws.code.as_str()),
            (400, "InvalidVpcID.NotFound")
        );
        assert_eq!(aws.message, "The vpc ID 'vpc-1' does not exist");
        let aws: AwsError = Ec2Error::DryRun.into();
        assert_eq!((aws.status, aws.code.as_str()), (412, "DryRunOperation"));
        assert_eq!(Ec2Error::missing("GroupName").code(), "MissingParameter");
        assert!(AwsError::from(Ec2Error::Busy).is_busy());
    }
}
