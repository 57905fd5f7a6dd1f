//! What can go wrong on the write path.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommitError {
    /// The store refused (or panicked on) the batch; the change was discarded.
    #[error("The service could not save the change; nothing was changed.")]
    NotSaved,
    /// A [`crate::Lock::TryOnce`] write found the writer lock taken and changed nothing: the
    /// caller runs it again where it may wait.
    #[error("The writer is busy; the call is retried where it may wait.")]
    Busy,
    /// A stored record could not be read back at start.
    #[error("stored {kind} record {key} is unreadable: {reason}")]
    Unreadable {
        kind: &'static str,
        key: String,
        reason: String,
    },
    #[error("loading the store: {0}")]
    Load(String),
}
