//! The command-line grammar. Scripts depend on it: change it only by adding.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The Toss Cert (토스인증) e-signature command line.
#[derive(Debug, Parser)]
#[command(name = "tosscert", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Session keys and `v1$` envelopes.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Verifies a signedDoc offline; prints the report as one JSON object.
    ///
    /// Exits 0 only if the signature, the expected document (when given) and the chain (with
    /// --trust-anchor) all verify; otherwise 1, with the reason on stderr.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("expected").args(["doc_file", "content_file", "digest_b64"])))]
pub(crate) struct VerifyArgs {
    /// A file holding the base64 signedDoc (line breaks are ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) signed_doc_file: PathBuf,
    /// The document text the user saw (PKCS7): must equal the signed content byte for byte,
    /// so no trailing newline is trimmed.
    #[arg(long, value_name = "FILE")]
    pub(crate) doc_file: Option<PathBuf>,
    /// The signed bytes, e.g. the PDF (PKCS7_NO_CONTENT_WITH_ATTR).
    #[arg(long, value_name = "FILE")]
    pub(crate) content_file: Option<PathBuf>,
    /// The SHA-256 of the signed bytes, base64.
    #[arg(long, value_name = "BASE64")]
    pub(crate) digest_b64: Option<String>,
    /// A PEM file of trusted CA certificates (repeatable); with it, the signer certificate
    /// must chain to one of them.
    #[arg(long, value_name = "PEM_FILE")]
    pub(crate) trust_anchor: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Makes a session; prints `{"sessionKey": "...", "session": "<serialized>"}`.
    New {
        /// The session's algorithm.
        #[arg(long, value_enum, default_value_t = AlgorithmArg::AesGcm)]
        algorithm: AlgorithmArg,
        /// The provider's RSA public key as base64 DER SubjectPublicKeyInfo
        /// [default: the provider's published key].
        #[arg(long, conflicts_with = "public_key_file")]
        public_key: Option<String>,
        /// A file holding the provider's RSA public key, PEM or base64 DER.
        #[arg(long, value_name = "FILE")]
        public_key_file: Option<PathBuf>,
    },
    /// Encrypts a plaintext with a serialized session; prints the `v1$` envelope.
    Encrypt {
        /// The serialized session, `<version>$<id>$<ALG>$<key>$<iv>`.
        #[arg(long)]
        session: String,
        /// The text to encrypt.
        #[arg(last = true, required = true)]
        plaintext: String,
    },
    /// Decrypts a `v1$` envelope with a serialized session; prints the plaintext.
    Decrypt {
        /// The serialized session, `<version>$<id>$<ALG>$<key>$<iv>`.
        #[arg(long)]
        session: String,
        /// The envelope to decrypt.
        #[arg(last = true, required = true)]
        envelope: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AlgorithmArg {
    /// AES-256-GCM (the provider's default).
    AesGcm,
    /// AES-256-CBC with HMAC-SHA256.
    AesCbc,
    /// AES-128-CBC with HMAC-SHA256.
    #[value(name = "aes-cbc-128")]
    AesCbc128,
}
