//! Parsing and verifying the real seed signedDoc (RSA-2048, SHA-256, document embedded):
//! the parts of `tosscert bench`'s `verify_signed_doc`.
//!
//! Run: `cargo bench -p toss-signed-doc --bench verify` (aws-lc) or with
//! `--no-default-features` (the pure Rust `rsa` crate).
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use toss_signed_doc::{Expected, SignedDoc};

const SIGNED_DOC_B64: &str = include_str!("../tests/data/seed_sign_result.signed_doc.b64");
const DOC: &str = include_str!("../tests/data/seed_sign_result.doc.txt");

fn verify(c: &mut Criterion) {
    let der = STANDARD
        .decode(SIGNED_DOC_B64.trim())
        .expect("the fixture is base64");
    let parsed = SignedDoc::from_der(&der).expect("the fixture parses");
    c.bench_function("signed_doc/from_base64", |b| {
        b.iter(|| SignedDoc::from_base64(black_box(SIGNED_DOC_B64)).expect("parses"));
    });
    c.bench_function("signed_doc/from_der", |b| {
        b.iter(|| SignedDoc::from_der(black_box(&der)).expect("parses"));
    });
    c.bench_function("signed_doc/verify", |b| {
        b.iter(|| {
            black_box(&parsed)
                .verify(Expected::Text(DOC))
                .expect("verifies")
        });
    });
    c.bench_function("signed_doc/from_base64+verify", |b| {
        b.iter(|| {
            SignedDoc::from_base64(black_box(SIGNED_DOC_B64))
                .expect("parses")
                .verify(Expected::Text(DOC))
                .expect("verifies")
        });
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
