//! Encoding and decoding the bodies every signature flow sends and receives, using the API
//! document's examples (the result carries a real 2.4 KB signedDoc).
//!
//! Run: `cargo bench -p toss-model`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use toss_model::{Envelope, ResultResponse, SignRequest, SignResponse, StatusResponse};

const SIGN_REQUEST: &str = include_str!("../tests/data/sign_request_push.json");
const SIGN_RESPONSE: &str = include_str!("../tests/data/sign_response_app_scheme.json");
const STATUS_SUCCESS: &str = include_str!("../tests/data/status_success.json");
const RESULT_SUCCESS: &str = include_str!("../tests/data/result_success.json");

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.bench_function("sign_request", |b| {
        b.iter(|| serde_json::from_str::<SignRequest>(black_box(SIGN_REQUEST)))
    });
    group.bench_function("sign_response", |b| {
        b.iter(|| serde_json::from_str::<Envelope<SignResponse>>(black_box(SIGN_RESPONSE)))
    });
    group.bench_function("status_success", |b| {
        b.iter(|| serde_json::from_str::<Envelope<StatusResponse>>(black_box(STATUS_SUCCESS)))
    });
    group.bench_function("result_success", |b| {
        b.iter(|| serde_json::from_str::<Envelope<ResultResponse>>(black_box(RESULT_SUCCESS)))
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let request: SignRequest = serde_json::from_str(SIGN_REQUEST).unwrap();
    let result: Envelope<ResultResponse> = serde_json::from_str(RESULT_SUCCESS).unwrap();
    let mut group = c.benchmark_group("encode");
    group.bench_function("sign_request", |b| {
        b.iter(|| serde_json::to_vec(black_box(&request)))
    });
    group.bench_function("result_success", |b| {
        b.iter(|| serde_json::to_vec(black_box(&result)))
    });
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
