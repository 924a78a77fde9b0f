//! The command-line grammar. Scripts depend on it: change it only by adding.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
