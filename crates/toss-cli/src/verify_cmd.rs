//! `tosscert verify`: a thin layer over `toss_signed_doc`.

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use toss_signed_doc::{Expected, Report, SignedDoc, TrustAnchors, Verifier};

use crate::cli::VerifyArgs;

/// The report, with `"valid": true` first.
#[derive(Serialize)]
struct Output<'a> {
    valid: bool,
    #[serde(flatten)]
    report: &'a Report,
}

/// The certificates of every PEM file in `paths`; `None` for no path.
pub(crate) fn read_trust_anchors(
    paths: &[PathBuf],
) -> Result<Option<TrustAnchors>, Box<dyn Error>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut anchors = TrustAnchors::new();
    for path in paths {
        anchors
            .add_pem(&read_text(path)?)
            .map_err(|source| CliError::TrustAnchor {
                path: path.display().to_string(),
                source,
            })?;
    }
    Ok(Some(anchors))
}

pub(crate) fn run(args: VerifyArgs) -> Result<String, Box<dyn Error>> {
    let signed_doc = read_text(&args.signed_doc_file)?;
    let signed = SignedDoc::from_base64(&signed_doc).map_err(CliError::SignedDoc)?;

    let mut verifier = Verifier::new();
    if let Some(anchors) = read_trust_anchors(&args.trust_anchor)? {
        verifier = verifier.trust_anchors(anchors);
    }

    let doc;
    let content;
    let expected = if let Some(path) = &args.doc_file {
        doc = read_text(path)?;
        Expected::Text(&doc)
    } else if let Some(path) = &args.content_file {
        content = read(path)?;
        Expected::Content(&content)
    } else if let Some(digest) = &args.digest_b64 {
        let digest = STANDARD
            .decode(digest.trim())
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or(CliError::Digest)?;
        Expected::Sha256(digest)
    } else {
        Expected::Nothing
    };

    let report = if args.require_chain {
        verifier
            .verify_trusted(&signed, expected)
            .map_err(|error| match error {
                toss_signed_doc::Error::TrustAnchor(_) => CliError::ChainRequired(error),
                error => CliError::Verify(error),
            })?
    } else {
        verifier
            .verify(&signed, expected)
            .map_err(CliError::Verify)?
    };
    if !report.chain_checked {
        warn_chain_not_checked("give --trust-anchor with the provider's CA certificates");
    }
    Ok(serde_json::to_string(&Output {
        valid: true,
        report: &report,
    })?)
}

/// One line on stderr: a report without a chain check proves the signature, not the name.
pub(crate) fn warn_chain_not_checked(fix: &str) {
    eprintln!(
        "tosscert: warning: the signer certificate was not checked against a trust anchor, \
         so the signer's name is unproven ({fix})"
    );
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

fn read_text(path: &Path) -> Result<String, CliError> {
    String::from_utf8(read(path)?).map_err(|_| CliError::NotUtf8 {
        path: path.to_owned(),
    })
}

/// Errors of the command layer itself, with the library error as their source.
#[derive(Debug)]
enum CliError {
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    NotUtf8 {
        path: PathBuf,
    },
    Digest,
    SignedDoc(toss_signed_doc::Error),
    TrustAnchor {
        path: String,
        source: toss_signed_doc::Error,
    },
    Verify(toss_signed_doc::Error),
    ChainRequired(toss_signed_doc::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadFile { path, .. } => write!(f, "cannot read {}", path.display()),
            Self::NotUtf8 { path } => write!(f, "{} is not UTF-8 text", path.display()),
            Self::Digest => f.write_str("invalid --digest-b64: not the base64 of 32 bytes"),
            Self::SignedDoc(_) => f.write_str("invalid signedDoc"),
            Self::TrustAnchor { path, .. } => write!(f, "invalid --trust-anchor {path}"),
            Self::Verify(_) => f.write_str("signedDoc does not verify"),
            Self::ChainRequired(_) => f.write_str("--require-chain needs --trust-anchor"),
        }
    }
}

impl Error for CliError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::ReadFile { source, .. } => Some(source),
            Self::SignedDoc(source)
            | Self::Verify(source)
            | Self::ChainRequired(source)
            | Self::TrustAnchor { source, .. } => Some(source),
            Self::NotUtf8 { .. } | Self::Digest => None,
        }
    }
}
