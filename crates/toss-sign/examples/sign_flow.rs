//! The whole signing flow against the provider (or any Toss Cert compatible server).
//!
//! Features: the defaults (`aws-lc`, `reqwest`).
//!
//! ```sh
//! export TOSS_CERT_CLIENT_ID=test_a8e23336d673ca70922b485fe806eb2d
//! export TOSS_CERT_CLIENT_SECRET=test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3
//! # Optional: a local server instead of the provider's hosts.
//! # export TOSS_CERT_API_BASE=http://127.0.0.1:18080 TOSS_CERT_OAUTH_BASE=http://127.0.0.1:18080
//! # export TOSS_CERT_PUBLIC_KEY=<the server's base64 public key>
//! # The provider's CA certificates (Toss CA1 and Toss Root CA1, from
//! # https://ca.cert.toss.im/toss-ca1.pem and https://root-ca.cert.toss.im/toss-root-ca1.pem)
//! # in one PEM file, so that the signer certificate is checked too:
//! # export TOSS_CERT_TRUST_ANCHORS=toss-ca.pem
//! cargo run -p toss-sign --example sign_flow -- 김토스 01000000000 19930324
//! ```

use std::time::Duration;

use time::Date;
use time::macros::format_description;
use toss_sign::{Client, Document, PollPolicy, SignatureRequest, Signer, Trigger};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(phone), Some(birthday)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: sign_flow <name> <phone> <birthday YYYYMMDD>".into());
    };
    let birthday = Date::parse(&birthday, format_description!("[year][month][day]"))?;

    // One client per process: it caches the access token and is cheap to clone.
    let client = Client::from_env()?;

    let request = SignatureRequest::builder()
        .signer(Signer::personal(name, phone, birthday)?)
        .trigger(Trigger::Push)
        .document(Document::text("출금이체에 동의합니다.")?)
        .service_name("토스 출금이체")
        .title("출금이체 동의문")
        .expires_in(Duration::from_secs(600))
        .build()?;

    // Step by step: request, wait, result. `sign_and_wait` does the three at once.
    let requested = client.request_signature(&request).await?;
    println!("txId {}: open the Toss app to sign", requested.tx_id);
    let status = client.status(&requested.tx_id).await?;
    println!(
        "status {} (requested at {})",
        status.status, status.requested_at
    );

    let policy = PollPolicy::new().timeout(Duration::from_secs(600));
    client
        .wait(&requested.tx_id, &policy, |status| {
            println!("status {status}")
        })
        .await?;

    let signed = client.result(&requested.tx_id).await?;
    println!(
        "signed at {}; signedDoc is {} bytes of PKCS#7",
        signed.completed_at,
        signed.signed_doc.der.len()
    );
    if let Some(person) = &signed.person {
        println!("signer born {}", person.birthday);
    }
    // Offline: the signature over this document, and with TOSS_CERT_TRUST_ANCHORS the
    // chain to the provider's CA, which alone proves who signed.
    let report = client.verify(&signed)?;
    if !report.chain_checked {
        eprintln!("warning: no trust anchors, so the signer certificate was not checked");
    }
    // Keep `signed.tx_id` and `signed.signed_doc.base64`: together they are the proof.
    Ok(())
}
