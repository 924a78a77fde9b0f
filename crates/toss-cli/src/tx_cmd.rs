//! `tosscert tx list | show | resume | purge`: the transaction store by hand.
//!
//! Sealed bytes (the request summary, the sign answer, the result body) are never
//! printed, only whether they are stored and their length; neither is the signer's name,
//! which the proof's verification report carries in the certificate subject.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use toss_sign::runtime::tx::{ListFilter, Proof, TxId, TxRecord, TxStore};
use toss_sign::{Pass, Reconciler, Schedule};

use crate::backend::client_with_store;
use crate::cli::{
    ScheduleArg, StoreArg, TxCommand, TxListArgs, TxPurgeArgs, TxResumeArgs, TxShowArgs,
};

type CommandResult = Result<String, Box<dyn Error>>;

/// What takes the place of the signer's name in a printed verification report.
const REDACTED: &str = "<redacted: personal data>";

pub(crate) async fn run(command: TxCommand) -> CommandResult {
    match command {
        TxCommand::List(args) => list(args).await,
        TxCommand::Show(args) => show(args).await,
        TxCommand::Resume(args) => resume(args).await,
        TxCommand::Purge(args) => purge(args).await,
    }
}

/// The store alone: reading and purging need no client credentials and no data key, as
/// they never open what is sealed.
pub(crate) async fn open_store(store: &StoreArg) -> Result<Arc<dyn TxStore>, Box<dyn Error>> {
    let location = store
        .location()
        .ok_or("give the transaction store: --store <LOCATION> or TOSS_CERT_STORE")?;
    toss_sign::tx_store::open_location(location)
        .await
        .map_err(|e| {
            format!(
                "cannot open the transaction store: {}",
                crate::error_chain(&e)
            )
            .into()
        })
}

async fn list(args: TxListArgs) -> CommandResult {
    let store = open_store(&args.store).await?;
    let mut filter = ListFilter::new().limit(args.limit);
    for state in args.state {
        filter = filter.state(state);
    }
    let records = store.list(&filter).await?;
    if args.json {
        let list = records
            .iter()
            .map(record_summary)
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Value::Array(list).to_string());
    }
    let lines: Vec<String> = records
        .iter()
        .map(|record| {
            format!(
                "{} {} {} fetches={} proof={}",
                record.state,
                record.tx_id.as_ref().map_or("-", TxId::as_str),
                record.idempotency_key,
                record.fetch_count,
                if record.proof.is_some() { "yes" } else { "no" },
            )
        })
        .collect();
    Ok(lines.join("\n"))
}

async fn show(args: TxShowArgs) -> CommandResult {
    let tx_id = TxId::new(args.tx_id.trim())
        .map_err(|_| "the txId must be 1 to 128 letters, digits, `-`, `_` or `.`")?;
    let store = open_store(&args.store).await?;
    let record = store
        .get_by_tx_id(&tx_id)
        .await?
        .ok_or_else(|| format!("transaction {tx_id} is not in the store"))?;
    if args.json {
        return Ok(record_detail(&record)?.to_string());
    }
    show_text(&record)
}

fn show_text(record: &TxRecord) -> CommandResult {
    let mut lines = vec![
        format!(
            "txId:            {}",
            record.tx_id.as_ref().map_or("-", TxId::as_str)
        ),
        format!("idempotency key: {}", record.idempotency_key),
        format!("state:           {}", record.state),
        format!("created:         {}", rfc3339(record.created_at)?),
        format!("updated:         {}", rfc3339(record.updated_at)?),
        format!("result fetches:  {}", record.fetch_count),
        format!(
            "result body:     {}",
            match &record.result_body {
                Some(body) => format!("stored, sealed ({} bytes)", body.len()),
                None => "not stored".to_owned(),
            }
        ),
    ];
    if let Some(at) = record.purged_at {
        lines.push(format!("personal data:   purged at {}", rfc3339(at)?));
    }
    if let Some(at) = record.next_check_at.filter(|_| !record.state.is_final()) {
        lines.push(format!("next check:      {}", rfc3339(at)?));
    }
    lines.push("events:".to_owned());
    for event in &record.events {
        lines.push(format!("  {} {}", rfc3339(event.at)?, event.state));
    }
    match &record.proof {
        Some(proof) => {
            lines.push("proof:".to_owned());
            lines.push(format!("  document hash:  {}", proof.document_hash));
            lines.push(format!(
                "  completed at:   {}",
                rfc3339(proof.completed_at)?
            ));
            lines.push(format!(
                "  signedDoc:      {} bytes of base64",
                proof.signed_doc.len()
            ));
            lines.push(format!("  verification:   {}", report_json(proof)));
        }
        None => lines.push("proof:           none".to_owned()),
    }
    Ok(lines.join("\n"))
}

/// What `tx list --json` prints of a record.
fn record_summary(record: &TxRecord) -> Result<Value, Box<dyn Error>> {
    Ok(json!({
        "txId": record.tx_id.as_ref().map(TxId::as_str),
        "idempotencyKey": record.idempotency_key.as_str(),
        "state": record.state.as_str(),
        "fetchCount": record.fetch_count,
        "resultStored": record.result_body.is_some(),
        "proof": record.proof.is_some(),
        "createdAt": rfc3339(record.created_at)?,
        "updatedAt": rfc3339(record.updated_at)?,
        "purgedAt": record.purged_at.map(rfc3339).transpose()?,
    }))
}

/// What `tx show --json` prints: the summary, the events, and the proof without its bytes.
fn record_detail(record: &TxRecord) -> Result<Value, Box<dyn Error>> {
    let mut value = record_summary(record)?;
    let events = record
        .events
        .iter()
        .map(|event| Ok(json!({"state": event.state.as_str(), "at": rfc3339(event.at)?})))
        .collect::<Result<Vec<Value>, Box<dyn Error>>>()?;
    let proof = match &record.proof {
        Some(proof) => json!({
            "documentHash": proof.document_hash,
            "completedAt": rfc3339(proof.completed_at)?,
            "signedDocLength": proof.signed_doc.len(),
            "verificationReport": report_json(proof),
        }),
        None => Value::Null,
    };
    if let Some(map) = value.as_object_mut() {
        map.insert("events".into(), Value::Array(events));
        map.insert(
            "resultBodyLength".into(),
            json!(record.result_body.as_ref().map(Vec::len)),
        );
        map.insert(
            "nextCheckAt".into(),
            json!(record.next_check_at.map(rfc3339).transpose()?),
        );
        map.insert("proof".into(), proof);
    }
    Ok(value)
}

/// The proof's verification report, without the signer's name: a Toss Cert certificate's
/// subject is the person's name, which this command never prints. A report that is not
/// JSON is shown only by its length, as it could hold anything.
fn report_json(proof: &Proof) -> Value {
    let Ok(mut report) = serde_json::from_str::<Value>(&proof.verification_report) else {
        return json!({"unreadable": true, "length": proof.verification_report.len()});
    };
    if let Some(signer) = report.get_mut("signer").and_then(Value::as_object_mut) {
        for field in ["subject", "commonName"] {
            if signer.contains_key(field) {
                signer.insert(field.into(), REDACTED.into());
            }
        }
    }
    // A failed verification's reason may quote the certificate.
    if let Some(map) = report.as_object_mut()
        && map.contains_key("error")
    {
        map.insert("error".into(), REDACTED.into());
    }
    report
}

async fn resume(args: TxResumeArgs) -> CommandResult {
    let client = client_with_store(args.store.location())?;
    if client.tx_store().await?.is_none() {
        return Err("give the transaction store: --store <LOCATION> or TOSS_CERT_STORE".into());
    }
    let schedule = match args.schedule {
        ScheduleArg::Polling => Schedule::polling(),
        ScheduleArg::Notify => Schedule::with_notify(),
    };
    let mut builder = Reconciler::builder(client)
        .schedule(schedule)
        .status_budget(args.budget);
    if let Some(seconds) = args.intent_grace_seconds {
        builder = builder.intent_grace(Duration::from_secs(seconds));
    }
    let reconciler = builder.build()?;
    if !args.watch {
        let pass = reconciler.run_until_idle().await?;
        return Ok(pass_json(&pass).to_string());
    }
    Ok(pass_json(&watch(&reconciler).await?).to_string())
}

/// Passes until Ctrl-C, each busy one's counts on stderr; returns the totals.
async fn watch(reconciler: &Reconciler) -> Result<Pass, Box<dyn Error>> {
    let mut total = Pass::default();
    reconciler
        .run_with(tokio::signal::ctrl_c(), |pass| {
            total += pass;
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr().lock(), "pass: {}", pass_json(pass));
        })
        .await?;
    Ok(total)
}

fn pass_json(pass: &Pass) -> Value {
    serde_json::to_value(pass).unwrap_or(Value::Null)
}

async fn purge(args: TxPurgeArgs) -> CommandResult {
    let store = open_store(&args.store).await?;
    let older_than = Duration::from_secs(u64::from(args.older_than_days) * 86_400);
    let purged = store
        .purge_personal_data(older_than, OffsetDateTime::now_utc())
        .await?;
    Ok(json!({ "purged": purged }).to_string())
}

fn rfc3339(at: OffsetDateTime) -> Result<String, time::error::Format> {
    at.format(&Rfc3339)
}
