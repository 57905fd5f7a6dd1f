//! What an STS call names, as IAM policies see it: AssumeRole the role.

use berth_aws::resources::{input, text};

/// For [`berth_aws::service::Service::resources`].
pub fn resources(op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    match (op, text(&doc, "RoleArn")) {
        ("AssumeRole", Some(arn)) => vec![arn.to_owned()],
        _ => vec!["*".into()],
    }
}
