//! Why an evidence bundle could not be made or does not hold.

use std::path::Path;

use crate::check::Check;

/// Why a bundle could not be exported, or was refused.
///
/// Messages name files, checks and what was wrong; never a name, a document or a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The signedDoc cannot be read, so nothing of it can be exported or checked.
    #[error("the signedDoc cannot be read: {0}")]
    SignedDoc(#[source] toss_signed_doc::Error),
    /// A file could not be serialized.
    #[error("cannot encode the bundle: {0}")]
    Encode(#[source] serde_json::Error),
    /// A file the bundle must have is not there.
    #[error("{0} is missing")]
    MissingFile(&'static str),
    /// A file the manifest does not list (or that is not a regular file) is in the
    /// directory.
    #[error("{0} is not part of the bundle")]
    UnexpectedFile(String),
    /// manifest.json cannot be read as a bundle manifest.
    #[error("manifest.json: {0}")]
    Manifest(String),
    /// A file is not the one the manifest lists: changed since it was exported.
    #[error("{0} was altered: its SHA-256 or size is not the one manifest.json lists")]
    FileAltered(String),
    /// evidence.json is not an evidence record.
    #[error("evidence.json is not an evidence record: {0}")]
    Evidence(String),
    /// A file does not match the signedDoc and evidence record it is exported from.
    #[error("{0} does not match the signedDoc and evidence record")]
    FileDisagrees(&'static str),
    /// A check does not hold.
    #[error("{}: {}", .0.check.name(), .0.detail)]
    CheckFailed(Check),
    /// The manifest is not the one the files and trust anchors give.
    #[error("manifest.json is not the one these files give: {0}")]
    ManifestDisagrees(String),
}

impl BundleError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
