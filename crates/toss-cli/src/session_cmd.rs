//! `tosscert session …`: a thin layer over `toss_crypto`.

use std::error::Error;
use std::fmt;

use serde::Serialize;
use toss_crypto::{Algorithm, Session, SessionGenerator};

use crate::backend::crypto_provider;
use crate::cli::{AlgorithmArg, SessionCommand};

pub(crate) fn run(command: SessionCommand) -> Result<String, Box<dyn Error>> {
    match command {
        SessionCommand::New {
            algorithm,
            public_key,
            public_key_file,
        } => new_session(algorithm, public_key, public_key_file),
        SessionCommand::Encrypt { session, plaintext } => {
            Ok(deserialize(&session)?.encrypt(&plaintext)?)
        }
        SessionCommand::Decrypt { session, envelope } => {
            Ok(deserialize(&session)?.decrypt(&envelope)?.to_string())
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSession<'a> {
    session_key: &'a str,
    session: &'a str,
}

fn new_session(
    algorithm: AlgorithmArg,
    public_key: Option<String>,
    public_key_file: Option<std::path::PathBuf>,
) -> Result<String, Box<dyn Error>> {
    let mut builder = SessionGenerator::builder().crypto_provider(crypto_provider());
    if let Some(key) = public_key {
        builder = builder.public_key(key);
    }
    if let Some(path) = public_key_file {
        let bytes = std::fs::read(&path).map_err(|e| CliError::ReadFile {
            path: path.display().to_string(),
            source: e,
        })?;
        builder = match String::from_utf8(bytes) {
            Ok(text) => builder.public_key(text),
            Err(raw) => builder.public_key_der(raw.into_bytes()),
        };
    }
    let algorithm = match algorithm {
        AlgorithmArg::AesGcm => Algorithm::AesGcm,
        AlgorithmArg::AesCbc => Algorithm::AesCbc,
        AlgorithmArg::AesCbc128 => Algorithm::AesCbc128,
    };
    let session = builder.build()?.generate_with(algorithm)?;
    let serialized = session.serialize();
    let output = NewSession {
        session_key: session.session_key(),
        session: &serialized,
    };
    Ok(serde_json::to_string(&output)?)
}

fn deserialize(serialized: &str) -> Result<Session, CliError> {
    Session::deserialize_with_provider(serialized, crypto_provider()).map_err(CliError::Session)
}

/// The binary is the application, so it may choose: the one backend compiled in, or aws-lc
/// when a build enables both.
/// Errors of the command layer itself, with the library error as their source.
#[derive(Debug)]
enum CliError {
    ReadFile {
        path: String,
        source: std::io::Error,
    },
    Session(toss_crypto::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadFile { path, .. } => write!(f, "cannot read {path}"),
            Self::Session(_) => f.write_str("invalid --session"),
        }
    }
}

impl Error for CliError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::ReadFile { source, .. } => Some(source),
            Self::Session(source) => Some(source),
        }
    }
}
