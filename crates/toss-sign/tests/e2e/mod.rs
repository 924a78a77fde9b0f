//! Shared helpers of the end-to-end tests: a real `toss-emulator` on 127.0.0.1, a client
//! pointed at it over real HTTP, the emulator's manual clock shared with the client, and
//! the offline check of a `signedDoc` against the emulator's test CA.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/choice.rs"]
pub(crate) mod choice;

use std::sync::Arc;
use std::time::Duration;

use time::macros::date;
use toss_emulator::clock::ManualClock;
use toss_emulator::{EmulatorBuilder, EmulatorHandle, UserBehaviour};
use toss_sign::{
    Client, ClientBuilder, Document, Environment, PollPolicy, RetryPolicy, SignatureRequest,
    SignedDocument, Signer, Trigger,
};
use toss_signed_doc::{Expected, Report, TrustAnchors, Verifier};

/// The person most tests ask to sign.
pub(crate) const NAME: &str = "홍길동";
/// Their phone number, as a user types it.
pub(crate) const PHONE: &str = "010-1234-5678";
/// Their birthday.
pub(crate) const BIRTHDAY: time::Date = date!(1993 - 03 - 24);

/// How long any single wait may take before a test gives up: generous, for a loaded machine.
pub(crate) const WAIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The session-key backend: aws-lc when compiled in (required when both are), RustCrypto
/// otherwise.
pub(crate) fn crypto() -> &'static toss_crypto::CryptoProvider {
    #[cfg(feature = "aws-lc")]
    return &toss_crypto::backend::aws_lc::PROVIDER;
    #[cfg(not(feature = "aws-lc"))]
    return &toss_crypto::backend::rust_crypto::PROVIDER;
}

/// An emulator builder with a 2048-bit key (quick to generate) on a free local port.
pub(crate) fn emulator_builder() -> EmulatorBuilder {
    toss_emulator::Emulator::builder().rsa_bits(2048)
}

/// Starts `builder`.
pub(crate) async fn start(builder: EmulatorBuilder) -> EmulatorHandle {
    builder.start().await.unwrap()
}

/// An emulator on a manual clock whose users behave as `behaviour`; the clock is returned
/// too so the test can move time.
pub(crate) async fn manual_emulator(behaviour: UserBehaviour) -> (EmulatorHandle, ManualClock) {
    let clock = ManualClock::new();
    let handle = start(
        emulator_builder()
            .manual_clock(clock.clone())
            .user_behaviour(behaviour),
    )
    .await;
    (handle, clock)
}

/// A client builder pointed at `handle`: its base URL, its credentials, its public key;
/// quick retries. No clock (the system clock) unless the caller adds one.
pub(crate) fn builder_for(handle: &EmulatorHandle) -> ClientBuilder {
    choice::transport_choice(Client::builder())
        .client_id(handle.client_id())
        .client_secret(handle.client_secret())
        .environment(Environment::single_host(handle.base_url()))
        .public_key(handle.public_key_base64())
        .crypto_provider(crypto())
        .retry_policy(
            RetryPolicy::builder()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(50))
                .build(),
        )
}

/// A client for `handle`; on the emulator's manual clock when it has one.
pub(crate) fn client(handle: &EmulatorHandle) -> Client {
    let builder = builder_for(handle);
    match handle.clock() {
        Some(clock) => builder.clock(Arc::new(clock.clone())),
        None => builder,
    }
    .build()
    .unwrap()
}

/// Polls every 10 ms (up to 100 ms), for at most [`WAIT_TIMEOUT`].
pub(crate) fn poll() -> PollPolicy {
    PollPolicy::new()
        .initial_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(100))
        .multiplier(1.5)
        .timeout(WAIT_TIMEOUT)
}

/// The usual person, identified by name, phone and birthday.
pub(crate) fn personal() -> Signer {
    Signer::personal(NAME, PHONE, BIRTHDAY).unwrap()
}

/// A request with the usual service name and title.
pub(crate) fn request(signer: Signer, trigger: Trigger, document: Document) -> SignatureRequest {
    request_builder(signer, trigger, document).build().unwrap()
}

/// [`request`]'s builder, to add options.
pub(crate) fn request_builder(
    signer: Signer,
    trigger: Trigger,
    document: Document,
) -> toss_sign::SignatureRequestBuilder {
    SignatureRequest::builder()
        .signer(signer)
        .trigger(trigger)
        .document(document)
        .service_name("토스증권 e2e")
        .title("계좌 개설 동의서")
}

/// A text request from the usual person by push.
pub(crate) fn text_request(text: &str) -> SignatureRequest {
    request(personal(), Trigger::Push, Document::text(text).unwrap())
}

/// The emulator's test CA as the only trust anchor.
pub(crate) fn verifier(handle: &EmulatorHandle) -> Verifier {
    Verifier::new().trust_anchors(TrustAnchors::from_pem(handle.ca_certificate_pem()).unwrap())
}

/// Verifies `signed.signed_doc` against `expected` and the emulator's CA, checks that the
/// DER and the base64 agree, and returns the parsed document with the report.
pub(crate) fn verify(
    handle: &EmulatorHandle,
    signed: &SignedDocument,
    expected: Expected<'_>,
) -> (toss_signed_doc::SignedDoc, Report) {
    let parsed = toss_signed_doc::SignedDoc::from_der(&signed.signed_doc.der).unwrap();
    let from_base64 = toss_signed_doc::SignedDoc::from_base64(&signed.signed_doc.base64).unwrap();
    assert_eq!(
        parsed.signer_certificate_der(),
        from_base64.signer_certificate_der()
    );
    let report = verifier(handle).verify(&parsed, expected).unwrap();
    assert!(report.chain.is_some(), "the chain to the CA was checked");
    assert_eq!(report.certificate_valid_at_signing_time, Some(true));
    (parsed, report)
}

/// Waits for `tx_id` with [`poll`], panicking on anything but completion.
pub(crate) async fn wait_completed(client: &Client, tx_id: &toss_sign::TxId) {
    client.wait(tx_id, &poll(), |_| {}).await.unwrap();
}
