//! `tosscert demo`: the whole flow against an embedded emulator, step by step.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use time::macros::date;
use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};
use toss_sign::{
    Client, DataKey, Document, Environment, PollPolicy, SignStatus, SignatureRequest, Signer,
    Trigger, TxId,
};
use toss_signed_doc::{TrustAnchors, Verifier};

use crate::backend::{choices, crypto_provider};
use crate::cli::DemoArgs;
use toss_sign::HttpBackend;

type CommandResult = Result<String, Box<dyn Error>>;

const STEPS: usize = 8;
const DOCUMENT: &str = "본인은 토스증권 계좌 개설 및 출금이체에 동의합니다.";

pub(crate) async fn run(args: DemoArgs) -> CommandResult {
    if args.web {
        return run_web(&args).await;
    }
    say!("tosscert demo: the Toss Cert signing flow against an embedded emulator");
    say!("(no account, no network: a local server plays the provider and the user)\n");

    let started = Instant::now();
    let emulator = Emulator::builder()
        .rsa_bits(args.rsa_bits)
        .user_behaviour(UserBehaviour::completes(
            Duration::from_millis(args.open_after_ms),
            Duration::from_millis(args.complete_after_ms),
        ))
        .start()
        .await?;
    step(
        1,
        "emulator",
        &format!(
            "listening on {} (RSA-{} provider key, test CA), ready in {:.1} s",
            emulator.base_url(),
            args.rsa_bits,
            started.elapsed().as_secs_f64()
        ),
    );

    let store = DemoStore::new()?;
    let client = store.client(&emulator)?;

    let request = SignatureRequest::builder()
        .signer(Signer::personal(
            "홍길동",
            "010-0000-0000",
            date!(1990 - 01 - 01),
        )?)
        .trigger(Trigger::Push)
        .document(Document::text(DOCUMENT)?)
        .service_name("토스증권")
        .title("계좌 개설 동의서")
        .expires_in(Duration::from_secs(300))
        .build()?;
    let requested = client.request_signature(&request).await?;
    step(
        2,
        "sign request",
        &format!(
            "txId {} (name, phone and birthday sent encrypted with a fresh session key)",
            requested.tx_id
        ),
    );

    step(3, "waiting", "for the user to sign in the Toss app");
    let waited = Instant::now();
    wait_with_progress(&client, &requested.tx_id).await?;
    say!(
        "{:>20} signed after {:.1} s",
        "",
        waited.elapsed().as_secs_f64()
    );

    let signed = client.result(&requested.tx_id).await?;
    let person = signed
        .person
        .as_ref()
        .ok_or("the result carries no personal data")?;
    step(
        4,
        "result",
        &format!(
            "fetched with a new session key and decrypted: {}, born {}, {}, {}, CI {} chars",
            person.name.as_str(),
            person.birthday,
            person.gender,
            person.nationality,
            person.ci.as_ref().map_or(0, |ci| ci.len()),
        ),
    );

    let anchors = TrustAnchors::from_pem(emulator.ca_certificate_pem())?;
    let report = signed.verify_with(&Verifier::new().trust_anchors(anchors))?;
    let signing_time = report
        .signing_time
        .map_or_else(|| "an unknown time".to_owned(), rfc3339);
    step(
        5,
        "signedDoc",
        &format!(
            "PKCS#7 signature valid over the document; signer {} (serial {}), signed at {}; \
             chain to the emulator's test CA valid",
            report.signer.subject, report.signer.serial_number, signing_time
        ),
    );

    let check = client.validate_signer(&signed).await?;
    if !(check.valid() && check.enabled()) {
        return Err(format!(
            "the certificate check answered valid={} enabled={}",
            check.valid(),
            check.enabled()
        )
        .into());
    }
    step(6, "certificate", "provider check: valid and enabled");

    // A fresh client over the same file stands for a restarted process.
    drop(client);
    let client = store.client(&emulator)?;
    let again = client.result(&signed.tx_id).await?;
    if again.signed_doc.base64 != signed.signed_doc.base64 {
        return Err("the stored result differs from the one fetched".into());
    }
    let served = results_served(&emulator, &signed.tx_id)?;
    if served != 1 {
        return Err(format!(
            "the result was read again from the provider ({served} results served, not 1)"
        )
        .into());
    }
    let proof = client
        .tx_store()
        .await?
        .ok_or("the client has no transaction store")?
        .get_by_tx_id(&toss_sign::runtime::tx::TxId::new(signed.tx_id.as_str())?)
        .await?
        .and_then(|record| record.proof)
        .ok_or("the store holds no proof of the transaction")?;
    step(
        7,
        "store",
        &format!(
            "transaction kept in {} (SQLite; personal data sealed under a data key made for \
             this run)",
            store.location
        ),
    );
    say!(
        "{:>20} a new client read the result again: proof read from the store (document {})",
        "",
        proof.document_hash
    );
    say!(
        "{:>20} result read from the store: no provider call (results served by the \
         provider: {served})",
        ""
    );
    drop(client);

    let evidence = signed
        .evidence
        .as_ref()
        .ok_or("the client collected no evidence")?;
    let anchors = TrustAnchors::from_pem(emulator.ca_certificate_pem())?;
    let bundle_dir = store.dir.path().join("evidence");
    toss_evidence::Bundle::assemble(&signed.signed_doc.der, evidence, Some(&anchors))?
        .write_to(&bundle_dir)?;
    let verification = toss_evidence::verify_dir(&bundle_dir, Some(&anchors))?;
    let revocation = verification
        .revocation
        .as_ref()
        .ok_or("the evidence decided no revocation state")?;
    let stamp = verification
        .timestamp
        .as_ref()
        .ok_or("the evidence holds no timestamp")?;
    step(
        8,
        "evidence",
        &format!(
            "CRL of the test CA (fresh until {}): not revoked at the signing time; \
             timestamp {} by the emulator's TSA",
            revocation
                .crl_next_update
                .map_or_else(|| "unknown".to_owned(), rfc3339),
            rfc3339(stamp.time)
        ),
    );
    say!(
        "{:>20} bundle of {} files (signedDoc as received and timestamped, CRL, token, \
         manifest, report.html) re-verified offline: every check holds",
        "",
        std::fs::read_dir(&bundle_dir)?.count()
    );

    let stats = emulator.stats();
    emulator.shutdown().await?;
    say!(
        "\nkeep these two as the proof: txId {} and signedDoc ({} bytes of base64)",
        signed.tx_id,
        signed.signed_doc.base64.len()
    );
    say!(
        "emulator saw {} token, {} sign request, {} status calls, {} result",
        stats.tokens_issued,
        stats.sign_requests,
        stats.status_calls,
        stats.results
    );
    Ok(format!("demo completed: txId {}", signed.tx_id))
}

/// `tosscert demo --web`: the emulator with its Toss app screen and the reference web
/// service, until Ctrl-C.
async fn run_web(args: &DemoArgs) -> CommandResult {
    say!("tosscert demo --web: sign in a browser (the emulator plays the Toss app)");
    let emulator = Emulator::builder()
        .rsa_bits(args.rsa_bits)
        .listen(std::net::SocketAddr::new(args.listen.ip(), 0))
        .user_behaviour(UserBehaviour::Manual)
        .start()
        .await?;
    let store = DemoStore::new()?;
    let client = store.client(&emulator)?;
    let service = crate::web_service::WebService::start(client, args.listen)
        .await
        .map_err(|error| -> Box<dyn Error> { error })?;
    say!("emulator (Toss app screen): {}", emulator.base_url());
    say!(
        "transactions kept in {} (SQLite, personal data sealed)",
        store.location
    );
    say!(
        "open {} in a browser (a phone-sized window works)",
        service.url()
    );
    say!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    service.shutdown().await;
    emulator.shutdown().await?;
    Ok("demo stopped".to_owned())
}

/// The run's own SQLite store and data key: nothing of it outlives the demo.
struct DemoStore {
    dir: TempDir,
    location: String,
    data_key: DataKey,
}

impl DemoStore {
    fn new() -> Result<Self, Box<dyn Error>> {
        let dir = TempDir::new()?;
        let path = dir.path().join("transactions.db");
        let location = path
            .to_str()
            .ok_or("the temporary directory's path is not UTF-8")?
            .to_owned();
        let data_key = DataKey::generate_with_provider(crypto_provider())?;
        Ok(Self {
            dir,
            location,
            data_key,
        })
    }

    /// A client of `emulator` keeping its transactions here (a new one stands for a
    /// restarted process).
    fn client(&self, emulator: &EmulatorHandle) -> Result<Client, Box<dyn Error>> {
        demo_client(emulator, &self.location, &self.data_key)
    }
}

/// A client of the emulator keeping its transactions in the SQLite file at `store`.
fn demo_client(
    emulator: &EmulatorHandle,
    store: &str,
    data_key: &DataKey,
) -> Result<Client, Box<dyn Error>> {
    Ok(choices(Client::builder(), HttpBackend::Reqwest)
        .client_id(emulator.client_id())
        .client_secret(emulator.client_secret())
        .environment(Environment::single_host(emulator.base_url()))
        .public_key(emulator.public_key_base64())
        .store_location(store)
        .data_key(data_key.clone())
        .trust_anchors(TrustAnchors::from_pem(emulator.ca_certificate_pem())?)
        .tsa_url(emulator.tsa_url())
        .build()?)
}

/// `at` as RFC 3339.
pub(crate) fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// How many times the emulator served the result of `tx_id`.
fn results_served(emulator: &EmulatorHandle, tx_id: &TxId) -> Result<u32, Box<dyn Error>> {
    emulator
        .transactions()
        .transactions
        .into_iter()
        .find(|tx| tx.tx_id == tx_id.as_str())
        .map(|tx| tx.results_served)
        .ok_or_else(|| format!("the emulator does not list transaction {tx_id}").into())
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for attempt in 0..16u32 {
            let path = base.join(format!(
                "tosscert-demo-{}-{nanos:x}-{attempt}",
                std::process::id()
            ));
            // Creating fails on an existing path, so no one else's directory is reused;
            // on Unix only this user may enter it.
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "no free name for the demo's temporary directory",
        ))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn step(n: usize, name: &str, detail: &str) {
    say!("[{n}/{STEPS}] {name:<13} {detail}");
}

/// Polls, printing each status as it arrives; on a terminal a spinner (indicatif, which
/// draws nothing when stderr is not a terminal) shows the wait.
async fn wait_with_progress(client: &Client, tx_id: &TxId) -> Result<(), Box<dyn Error>> {
    let spinner = indicatif::ProgressBar::new_spinner().with_message("waiting for the user…");
    spinner.enable_steady_tick(Duration::from_millis(100));
    let policy = PollPolicy::new()
        .initial_interval(Duration::from_millis(200))
        .max_interval(Duration::from_millis(500))
        .timeout(Duration::from_secs(120));
    let shown = spinner.clone();
    let on_change = move |status: &SignStatus| {
        shown.suspend(|| say!("{:>20} status {status}", ""));
    };
    let outcome = client.wait(tx_id, &policy, on_change).await;
    spinner.finish_and_clear();
    Ok(outcome?)
}
