//! The content store: blob bytes on disk by digest, shared by every repository and account,
//! and uploads in progress. Which blobs exist as far as clients can tell is the record table's
//! [`crate::records::BlobRec`]; a file here becomes visible only once it is complete, its
//! digest verified, fsynced and renamed into place, and its record committed.

mod digest;
mod direct;
mod store;

pub use digest::{Algorithm, Digest, Hasher};
pub use store::{Appender, BlobStore, Completed, UploadFault};
