//! Session generation per algorithm and backend; encrypt and decrypt of a 3-character name,
//! an 88-character CI and a 2,000-character document.
//!
//! Run: `cargo bench -p toss-crypto --all-features` (both backends) or with one backend's
//! feature. Session generation uses the provider's real RSA-4096 key.
#![allow(
    missing_docs,
    unused_mut,
    clippy::expect_used,
    clippy::vec_init_then_push
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use toss_crypto::{Algorithm, CryptoProvider, SessionGenerator};

const ALGORITHMS: [(&str, Algorithm); 3] = [
    ("aes-gcm", Algorithm::AesGcm),
    ("aes-cbc", Algorithm::AesCbc),
    ("aes-cbc-128", Algorithm::AesCbc128),
];

fn providers() -> Vec<(&'static str, &'static CryptoProvider)> {
    let mut all: Vec<(&'static str, &'static CryptoProvider)> = Vec::new();
    #[cfg(feature = "aws-lc")]
    all.push(("aws-lc", &toss_crypto::backend::aws_lc::PROVIDER));
    #[cfg(feature = "rustcrypto")]
    all.push(("rustcrypto", &toss_crypto::backend::rust_crypto::PROVIDER));
    all
}

fn payloads() -> [(&'static str, String); 3] {
    [
        ("name-3", "김토스".to_owned()),
        ("ci-88", format!("CI0110000000001{}", "x".repeat(73))),
        (
            "doc-2000",
            "계약서 본문 "
                .repeat(2000 / 7 + 1)
                .chars()
                .take(2000)
                .collect(),
        ),
    ]
}

/// A generator for the provider's embedded RSA-4096 key.
fn generator(provider: &'static CryptoProvider) -> SessionGenerator {
    SessionGenerator::builder()
        .crypto_provider(provider)
        .build()
        .expect("the embedded key parses")
}

fn session_new(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_new");
    for (backend, provider) in providers() {
        let generator = generator(provider);
        for (name, algorithm) in ALGORITHMS {
            group.bench_function(BenchmarkId::new(backend, name), |b| {
                b.iter(|| {
                    generator
                        .generate_with(black_box(algorithm))
                        .expect("generate")
                });
            });
        }
    }
    group.finish();
}

fn encrypt_decrypt(c: &mut Criterion) {
    for (backend, provider) in providers() {
        let generator = generator(provider);
        for (alg_name, algorithm) in ALGORITHMS {
            let session = generator.generate_with(algorithm).expect("generate");
            for (payload_name, payload) in payloads() {
                let id = format!("{backend}/{alg_name}/{payload_name}");
                c.bench_function(&format!("encrypt/{id}"), |b| {
                    b.iter(|| session.encrypt(black_box(&payload)).expect("encrypt"));
                });
                let envelope = session.encrypt(&payload).expect("encrypt");
                c.bench_function(&format!("decrypt/{id}"), |b| {
                    b.iter(|| session.decrypt(black_box(&envelope)).expect("decrypt"));
                });
            }
        }
    }
}

criterion_group!(benches, session_new, encrypt_decrypt);
criterion_main!(benches);
