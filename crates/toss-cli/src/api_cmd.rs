//! `tosscert token | request | status | result`: the provider's calls by hand, with the
//! `TOSS_CERT_*` settings (the provider's test environment, or an emulator).

use std::error::Error;
use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use time::Date;
use time::format_description::well_known::Rfc3339;
use toss_model::plain::Birthday;
use toss_sign::{
    Client, Document, Person, SignStatus, SignatureRequest, SignatureRequested, SignedDocument,
    Signer, Trigger, TxId,
};

use crate::backend::{client_from_env, client_with_store};
use crate::cli::{RequestArgs, ResultArgs, TxArgs};

type CommandResult = Result<String, Box<dyn Error>>;

pub(crate) async fn token() -> CommandResult {
    let token = client_from_env()?.access_token().await?;
    Ok(json!({
        "accessToken": token.expose_secret(),
        "expiresAt": token.expires_at().format(&Rfc3339)?,
    })
    .to_string())
}

pub(crate) async fn request(args: RequestArgs) -> CommandResult {
    let wait = args.wait;
    let store = args.store.clone();
    // The request is checked first: bad input is named before any setting is looked at.
    let request = signature_request(args)?;
    let client = client_with_store(store.location())?;
    if !wait {
        let requested = client.request_signature(&request).await?;
        return Ok(requested_json(&requested)?.to_string());
    }
    let on_change = |status: &SignStatus| {
        use std::io::Write as _;
        // Progress only: a closed stderr must not stop the wait.
        let _ = writeln!(std::io::stderr().lock(), "status: {status}");
    };
    let signed = client
        .sign_and_wait(&request, client.poll_policy(), on_change)
        .await?;
    Ok(result_json(&client, &signed, false)?.to_string())
}

pub(crate) async fn status(args: TxArgs) -> CommandResult {
    let client = client_with_store(args.store.location())?;
    let tx_id = TxId::new(args.tx_id);
    let status = client.status(&tx_id).await?;
    Ok(json!({
        "txId": status.tx_id.as_str(),
        "status": status.status.as_str(),
        "requestedDt": status.requested_at.format(&Rfc3339)?,
    })
    .to_string())
}

pub(crate) async fn result(args: ResultArgs) -> CommandResult {
    let client = client_with_store(args.tx.store.location())?;
    // Checked before the fetch, which spends one of the two the provider allows.
    if args.require_chain && client.trust_anchors().is_none() {
        let message = "--require-chain needs TOSS_CERT_TRUST_ANCHORS, a PEM file of the \
                       provider's CA certificates; the result was not fetched";
        return Err(message.into());
    }
    let signed = client.result(&TxId::new(args.tx.tx_id)).await?;
    Ok(result_json(&client, &signed, args.require_chain)?.to_string())
}

/// The signer's fields, as options or as `--signer-file` holds them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerFields {
    name: Option<String>,
    phone: Option<String>,
    birthday: Option<String>,
    ci: Option<String>,
}

impl SignerFields {
    /// The signer, or `usage` when the fields do not make one. `birthday_source` names the
    /// birthday in an error, which never repeats the value.
    fn into_signer(
        self,
        usage: &'static str,
        birthday_source: &str,
    ) -> Result<Signer, Box<dyn Error>> {
        match (self.name, self.phone, self.birthday, self.ci) {
            (Some(name), Some(phone), Some(birthday), None) => Ok(Signer::personal(
                name,
                phone,
                parse_birthday(&birthday, birthday_source)?,
            )?),
            (None, None, None, Some(ci)) => Ok(Signer::ci(ci)?),
            _ => Err(usage.into()),
        }
    }
}

/// Reads `--signer-file` (`-`: stdin). Errors name the place of the problem, never a value.
fn read_signer_file(path: &Path) -> Result<Signer, Box<dyn Error>> {
    // A signer is a few hundred bytes; the bound keeps a wrong file from being read whole.
    const MAX_BYTES: u64 = 64 * 1024;
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(MAX_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| read_error(path, e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("--signer-file is larger than {MAX_BYTES} bytes").into());
    }
    let fields: SignerFields = serde_json::from_slice(&bytes).map_err(|e| {
        // serde_json's messages quote the values they refuse: keep only where.
        format!(
            "--signer-file is not a JSON object of name, phone and birthday, or ci \
             (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    fields.into_signer(
        "--signer-file must hold name, phone and birthday, or ci",
        "birthday in --signer-file",
    )
}

fn signature_request(args: RequestArgs) -> Result<SignatureRequest, Box<dyn Error>> {
    let signer = match &args.signer_file {
        Some(path) => read_signer_file(path)?,
        None => SignerFields {
            name: args.name,
            phone: args.phone,
            birthday: args.birthday,
            ci: args.ci,
        }
        .into_signer(
            "give --name, --phone and --birthday, --ci, or --signer-file",
            "--birthday",
        )?,
    };
    let document = if let Some(text) = args.doc_text {
        Document::text(text)?
    } else if let Some(path) = &args.doc_file {
        Document::text(read_text(path)?)?
    } else if let Some(path) = &args.html_file {
        Document::html(read_text(path)?)?
    } else if let Some(path) = &args.pdf_file {
        Document::pdf(&std::fs::read(path).map_err(|e| read_error(path, e))?)
    } else {
        return Err("give the document: --doc-text, --doc-file, --html-file or --pdf-file".into());
    };
    let trigger = if args.app_scheme {
        Trigger::AppScheme {
            success_url: None,
            fail_url: None,
        }
    } else {
        Trigger::Push
    };
    let mut builder = SignatureRequest::builder()
        .signer(signer)
        .trigger(trigger)
        .document(document)
        .title(args.title)
        .service_name(args.service_name)
        .encrypt_document(args.encrypt_doc);
    if let Some(seconds) = args.expire_secs {
        builder = builder.expires_in(Duration::from_secs(seconds));
    }
    if let Some(key) = args.idempotency_key {
        builder = builder.idempotency_key(key);
    }
    Ok(builder.build()?)
}

pub(crate) fn requested_json(requested: &SignatureRequested) -> Result<Value, Box<dyn Error>> {
    Ok(json!({
        "txId": requested.tx_id.as_str(),
        "appScheme": requested.app_scheme,
        "androidAppUri": requested.android_app_uri,
        "iosAppUri": requested.ios_app_uri,
        "requestedAt": requested.requested_at.format(&Rfc3339)?,
    }))
}

/// The result as JSON, with the outcome of verifying its signedDoc offline with the
/// client's trust anchors (all of it, `require_chain`, or with none a warning on stderr).
pub(crate) fn result_json(
    client: &Client,
    signed: &SignedDocument,
    require_chain: bool,
) -> Result<Value, Box<dyn Error>> {
    let verified = if require_chain {
        client.verify_trusted(signed)
    } else {
        client.verify(signed)
    };
    let verification = match verified {
        Ok(report) => {
            if !report.chain_checked {
                crate::verify_cmd::warn_chain_not_checked(
                    "set TOSS_CERT_TRUST_ANCHORS to a PEM file of the provider's CA certificates",
                );
            }
            json!({
                "valid": true,
                "chainChecked": report.chain_checked,
                "chain": report.chain,
                "signer": report.signer,
            })
        }
        Err(error) => json!({
            "valid": false,
            "chainChecked": false,
            "reason": crate::error_chain(&error),
        }),
    };
    Ok(json!({
        "txId": signed.tx_id.as_str(),
        "signatureType": signed.signature_type.as_str(),
        "requestedAt": signed.requested_at.format(&Rfc3339)?,
        "completedAt": signed.completed_at.format(&Rfc3339)?,
        "doc": signed.doc.as_str(),
        "signedDoc": signed.signed_doc.base64,
        "verification": verification,
        "person": signed.person.as_ref().map(person_json),
    }))
}

pub(crate) fn person_json(person: &Person) -> Value {
    json!({
        "name": person.name.as_str(),
        "birthday": person.birthday.to_string(),
        "gender": person.gender.as_str(),
        "nationality": person.nationality.as_str(),
        "ci": person.ci.as_deref().map(String::as_str),
        "di": person.di.as_deref().map(String::as_str),
    })
}

/// The birthday; the error names `source` and the format, never the value (personal data).
fn parse_birthday(text: &str, source: &str) -> Result<Date, Box<dyn Error>> {
    Birthday::parse(text)
        .map(|birthday| birthday.date())
        .map_err(|_| format!("{source} must be a date as YYYYMMDD").into())
}

fn read_text(path: &Path) -> Result<String, Box<dyn Error>> {
    std::fs::read_to_string(path).map_err(|e| read_error(path, e))
}

fn read_error(path: &Path, error: std::io::Error) -> Box<dyn Error> {
    format!("cannot read {}: {error}", path.display()).into()
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::cli::{Cli, Command};

    #[test]
    fn request_args_debug_leaves_out_the_signer_and_the_text() {
        let cli = Cli::try_parse_from([
            "tosscert",
            "request",
            "--name",
            "김토스",
            "--phone",
            "01012345678",
            "--birthday",
            "19930324",
            "--doc-text",
            "본인은 동의합니다",
            "--title",
            "동의서",
            "--service-name",
            "토스",
        ])
        .unwrap();
        let Command::Request(args) = &cli.command else {
            panic!("a request");
        };
        let debug = format!("{cli:?} {args:?}");
        for personal in ["김토스", "01012345678", "19930324", "본인은"] {
            assert!(!debug.contains(personal), "{debug}");
        }
        assert!(
            debug.contains("동의서"),
            "the title is not personal: {debug}"
        );
    }

    #[test]
    fn a_store_url_is_left_out_of_debug() {
        let url = "postgres://app:s3cr3t-pw@db.internal/tx";
        for args in [
            vec![
                "tosscert",
                "request",
                "--ci",
                "x",
                "--doc-text",
                "d",
                "--title",
                "t",
                "--service-name",
                "s",
                "--idempotency-key",
                "order-1",
                "--store",
                url,
            ],
            vec!["tosscert", "result", "--tx-id", "tx-1", "--store", url],
            vec!["tosscert", "tx", "list", "--store", url],
            vec!["tosscert", "tx", "resume", "--store", url],
        ] {
            let cli = Cli::try_parse_from(&args).unwrap();
            let debug = format!("{cli:?}");
            assert!(!debug.contains("s3cr3t"), "{debug}");
        }
    }

    #[test]
    fn states_parse_by_their_stored_names() {
        let cli = Cli::try_parse_from([
            "tosscert",
            "tx",
            "list",
            "--state",
            "result_stored",
            "--state",
            "in-progress",
        ])
        .unwrap();
        let Command::Tx {
            command: crate::cli::TxCommand::List(args),
        } = cli.command
        else {
            panic!("tx list");
        };
        assert_eq!(
            args.state,
            [
                toss_runtime::tx::TxState::ResultStored,
                toss_runtime::tx::TxState::InProgress
            ]
        );
        assert!(Cli::try_parse_from(["tosscert", "tx", "list", "--state", "done"]).is_err());
    }
}
