//! Identifiers the services hand out.

/// A request id in AWS's form (a UUID).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A random lowercase-hex id of 32 characters (ECS task ids, log stream ids, …).
pub fn hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
