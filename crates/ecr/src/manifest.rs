//! Manifests as clients push them: which kind (Docker schema 2 image or list, OCI image
//! manifest or index, an OCI artifact), what they reference (blobs that must exist, child
//! manifests of an index), and the `subject` the referrers API answers for. The documents
//! are parsed with oci-spec's types; their digest is over the bytes exactly as pushed.

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use crate::blobs::Digest;

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_SCHEMA1: [&str; 2] = [
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];
/// Layers a registry need not hold (their descriptors carry `urls` to fetch them from).
const FOREIGN_LAYERS: [&str; 3] = [
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
];
/// Every manifest media type Berth stores.
pub const MEDIA_TYPES: [&str; 4] = [DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX];

pub fn is_index(media_type: &str) -> bool {
    media_type == DOCKER_LIST || media_type == OCI_INDEX
}

/// A referenced blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub digest: String,
    pub size: u64,
    /// It may be absent from the registry (a foreign layer).
    pub foreign: bool,
}

/// What a pushed manifest is and references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub media_type: String,
    pub artifact_type: Option<String>,
    /// The config blob's media type (ECR's `artifactMediaType`).
    pub config_media_type: Option<String>,
    /// Config first, then layers (image manifests only).
    pub blobs: Vec<BlobRef>,
    /// The manifests an index lists.
    pub children: Vec<String>,
    pub subject: Option<String>,
    /// Config and layer bytes (the image's size as ECR reports it), or the manifest's length
    /// for an index.
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("{0}")]
    Invalid(String),
    #[error("the manifest media type {0} is not supported")]
    Unsupported(String),
}

fn invalid(m: impl Into<String>) -> ManifestError {
    ManifestError::Invalid(m.into())
}

/// Parses a manifest pushed with `content_type` (the header; None or a generic type: the
/// document's own `mediaType`, else its shape, decides).
pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Parsed, ManifestError> {
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("the manifest is not JSON: {e}")))?;
    let declared = doc.get("mediaType").and_then(|m| m.as_str());
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "application/octet-stream");
    if let (Some(h), Some(d)) = (header, declared) {
        if h != d {
            return Err(invalid(format!(
                "the manifest's mediaType {d} differs from its Content-Type {h}"
            )));
        }
    }
    let media_type = match header.or(declared) {
        Some(m) => m.to_owned(),
        None if doc.get("manifests").is_some() => OCI_INDEX.to_owned(),
        None if doc.get("config").is_some() => OCI_MANIFEST.to_owned(),
        None => return Err(invalid("the manifest names no mediaType")),
    };
    if DOCKER_SCHEMA1.contains(&media_type.as_str()) {
        return Err(ManifestError::Unsupported(format!(
            "{media_type} (Docker image manifest schema 1; push schema 2 or OCI)"
        )));
    }
    if doc.get("schemaVersion").and_then(|v| v.as_u64()) != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    match media_type.as_str() {
        DOCKER_MANIFEST | OCI_MANIFEST => image(doc, media_type),
        DOCKER_LIST | OCI_INDEX => index(doc, media_type, bytes.len()),
        other => Err(ManifestError::Unsupported(other.to_owned())),
    }
}

fn digest_of(d: &Descriptor) -> Result<String, ManifestError> {
    let s = d.digest().to_string();
    Digest::parse(&s)
        .map(|d| d.to_string())
        .ok_or_else(|| invalid(format!("the digest {s} is not a sha256 or sha512 digest")))
}

fn image(doc: serde_json::Value, media_type: String) -> Result<Parsed, ManifestError> {
    let m: ImageManifest = serde_json::from_value(doc)
        .map_err(|e| invalid(format!("the image manifest is malformed: {e}")))?;
    let mut blobs = vec![BlobRef {
        digest: digest_of(m.config())?,
        size: m.config().size(),
        foreign: false,
    }];
    for l in m.layers() {
        let kind = l.media_type().to_string();
        blobs.push(BlobRef {
            digest: digest_of(l)?,
            size: l.size(),
            foreign: FOREIGN_LAYERS.contains(&kind.as_str()) && l.urls().is_some(),
        });
    }
    let config_type = m.config().media_type().to_string();
    let artifact_type = m
        .artifact_type()
        .as_ref()
        .map(|a| a.to_string())
        .or_else(|| {
            let image_config = config_type == "application/vnd.oci.image.config.v1+json"
                || config_type == "application/vnd.docker.container.image.v1+json";
            (!image_config).then(|| config_type.clone())
        });
    let subject = m.subject().as_ref().map(digest_of).transpose()?;
    let size = blobs.iter().map(|b| b.size as i64).sum();
    Ok(Parsed {
        media_type,
        artifact_type,
        config_media_type: Some(m.config().media_type().to_string()),
        blobs,
        children: Vec::new(),
        subject,
        size,
    })
}

fn index(doc: serde_json::Value, media_type: String, len: usize) -> Result<Parsed, ManifestError> {
    let i: ImageIndex = serde_json::from_value(doc)
        .map_err(|e| invalid(format!("the image index is malformed: {e}")))?;
    let children = i
        .manifests()
        .iter()
        .map(digest_of)
        .collect::<Result<_, _>>()?;
    let subject = i.subject().as_ref().map(digest_of).transpose()?;
    Ok(Parsed {
        media_type,
        artifact_type: i.artifact_type().as_ref().map(|a| a.to_string()),
        config_media_type: None,
        blobs: Vec::new(),
        children,
        subject,
        size: len as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(b: &[u8]) -> String {
        Digest::sha256_of(b).to_string()
    }

    fn image_doc(media: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{media}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":5}}]}}"#,
            d(b"{}"),
            d(b"layer")
        )
    }

    #[test]
    fn an_image_manifest_lists_its_config_and_layers() {
        let p = parse(image_doc(OCI_MANIFEST).as_bytes(), Some(OCI_MANIFEST)).expect("parses");
        assert_eq!(p.media_type, OCI_MANIFEST);
        assert_eq!(p.blobs.len(), 2);
        assert_eq!(p.size, 7);
        assert_eq!(p.artifact_type, None);
    }

    #[test]
    fn content_type_and_media_type_must_agree() {
        let e = parse(image_doc(OCI_MANIFEST).as_bytes(), Some(DOCKER_MANIFEST));
        assert!(matches!(e, Err(ManifestError::Invalid(_))));
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in [
            "not json",
            "{}",
            r#"{"schemaVersion":1,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x/y","digest":"sha256:zz","size":1},"layers":[]}"#,
        ] {
            assert!(parse(bad.as_bytes(), None).is_err(), "{bad}");
        }
        let schema1 = parse(b"{}", Some(DOCKER_SCHEMA1[1]));
        assert!(matches!(schema1, Err(ManifestError::Unsupported(_))));
    }

    #[test]
    fn an_index_lists_its_children_and_an_artifact_its_type() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10}}]}}"#,
            d(b"child")
        );
        let p = parse(doc.as_bytes(), None).expect("parses");
        assert_eq!(p.children, vec![d(b"child")]);
        let art = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"application/vnd.example.sbom","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{}","size":2}},"layers":[],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":3}}}}"#,
            d(b"{}"),
            d(b"subject")
        );
        let p = parse(art.as_bytes(), None).expect("parses");
        assert_eq!(
            p.artifact_type.as_deref(),
            Some("application/vnd.example.sbom")
        );
        assert_eq!(p.subject, Some(d(b"subject")));
    }
}
