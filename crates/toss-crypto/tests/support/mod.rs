//! Shared helpers for the integration tests: fixtures, backends, a scripted RNG.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::vec_init_then_push
)]

use std::sync::Mutex;

use toss_crypto::{CryptoProvider, Error, SecureRandom};

/// Every backend compiled in, by name.
pub fn providers() -> Vec<(&'static str, &'static CryptoProvider)> {
    let mut all: Vec<(&'static str, &'static CryptoProvider)> = Vec::new();
    #[cfg(feature = "aws-lc")]
    all.push(("aws-lc", &toss_crypto::backend::aws_lc::PROVIDER));
    #[cfg(feature = "rustcrypto")]
    all.push(("rustcrypto", &toss_crypto::backend::rust_crypto::PROVIDER));
    assert!(!all.is_empty(), "enable at least one backend feature");
    all
}

/// Reads a CSV fixture from `tests/data` as records of strings.
pub fn csv_rows(name: &str, has_header: bool) -> Vec<Vec<String>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(has_header)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Reads a one-line text fixture from `tests/data`.
pub fn text(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim()
        .to_owned()
}

/// A generator that hands out scripted bytes, so a test can make a session with a chosen id,
/// key and IV. NO SECURITY: tests only.
#[derive(Debug)]
pub struct ScriptedRandom(Mutex<Vec<u8>>);

impl SecureRandom for ScriptedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        let mut script = self.0.lock().unwrap();
        if script.len() < dest.len() {
            return Err(Error::Random);
        }
        let rest = script.split_off(dest.len());
        dest.copy_from_slice(&script);
        *script = rest;
        Ok(())
    }
}

/// `base` with its random number generator replaced by `script`.
pub fn scripted(base: &'static CryptoProvider, script: Vec<u8>) -> &'static CryptoProvider {
    let random: &'static ScriptedRandom = Box::leak(Box::new(ScriptedRandom(Mutex::new(script))));
    Box::leak(Box::new(CryptoProvider {
        secure_random: random,
        ..*base
    }))
}

/// The serialized form of a session with these parts.
pub fn serialized(id: &str, algorithm: &str, key: &str, iv: &str) -> String {
    format!("v1${id}${algorithm}${key}${iv}")
}
