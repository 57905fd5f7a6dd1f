//! Why a scan could not look at an image, or a vulnerability file was refused. Each message
//! is a sentence a scan status description can carry as it is.

/// The image could not be read the way a scan reads it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// A layer is not a readable (gzip or uncompressed) tar stream.
    #[error("layer {index} could not be read: {detail}")]
    Layer { index: usize, detail: String },
    /// A layer in a format the scanner does not read.
    #[error("layer {index} is {what}, which Berth's scanner does not read")]
    UnsupportedLayer { index: usize, what: String },
    /// A package database too large to read into memory.
    #[error("{path} is {size} bytes, more than the scanner reads")]
    FileTooLarge { path: String, size: u64 },
}

/// A vulnerability file the scanner refuses (so that no scan claims to have checked it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("the vulnerability file is not valid: {0}")]
    Json(String),
    #[error("vulnerabilities[{index}] ({id}): {detail}")]
    Entry {
        index: usize,
        id: String,
        detail: String,
    },
}
