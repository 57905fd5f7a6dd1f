//! The instance attributes Cloud Map gives meaning to.

pub(crate) const IPV4: &str = "AWS_INSTANCE_IPV4";
pub(crate) const IPV6: &str = "AWS_INSTANCE_IPV6";
pub(crate) const PORT: &str = "AWS_INSTANCE_PORT";
pub(crate) const CNAME: &str = "AWS_INSTANCE_CNAME";
