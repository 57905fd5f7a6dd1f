mod identity;
pub(crate) mod sessions;
