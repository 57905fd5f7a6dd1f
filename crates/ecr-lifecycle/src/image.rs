//! What the evaluator needs to know about an image in the repository.

use crate::policy::StorageClass;

/// One image (one manifest, named by its digest) as the lifecycle policy
/// sees it. Times are seconds since the Unix epoch, the way ECR's API
/// serialises timestamps; the field names follow `ImageDetail`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Image {
    /// `imageDigest`. Digests identify images: within one call to
    /// [`evaluate`](crate::evaluate) each should appear once.
    pub digest: String,
    /// `imageTags`; empty for an untagged image.
    pub tags: Vec<String>,
    /// `imagePushedAt`.
    pub pushed_at: f64,
    /// `lastRecordedPullTime`, if the image was ever pulled.
    pub last_pulled: Option<f64>,
    /// The image's storage class (`imageStatus` `ARCHIVED` is
    /// [`StorageClass::Archive`]).
    pub storage_class: StorageClass,
    /// `lastArchivedAt`: when the image last moved to the archive.
    pub archived_at: Option<f64>,
}

impl Image {
    /// A standard-class image that was never pulled.
    pub fn new(digest: impl Into<String>, tags: &[&str], pushed_at: f64) -> Image {
        Image {
            digest: digest.into(),
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
            pushed_at,
            ..Image::default()
        }
    }

    /// The same image, last pulled at `at`.
    pub fn pulled_at(mut self, at: f64) -> Image {
        self.last_pulled = Some(at);
        self
    }

    /// The same image, archived at `at`.
    pub fn archived_at(mut self, at: f64) -> Image {
        self.storage_class = StorageClass::Archive;
        self.archived_at = Some(at);
        self
    }
}
