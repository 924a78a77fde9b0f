//! `tosscert token | request | status | result`: the provider's calls by hand, with the
//! `TOSS_CERT_*` settings (the provider's test environment, or an emulator).

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use time::Date;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use toss_sign::{
    Document, Person, SignatureRequest, SignatureRequested, SignedDocument, Signer, Trigger, TxId,
};

use crate::backend::client_from_env;
use crate::cli::{RequestArgs, TxArgs};

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
    let request = signature_request(args)?;
    let requested = client_from_env()?.request_signature(&request).await?;
    Ok(requested_json(&requested)?.to_string())
}

pub(crate) async fn status(args: TxArgs) -> CommandResult {
    let tx_id = TxId::new(args.tx_id);
    let status = client_from_env()?.status(&tx_id).await?;
    Ok(json!({"txId": tx_id.as_str(), "status": status.as_str()}).to_string())
}

pub(crate) async fn result(args: TxArgs) -> CommandResult {
    let signed = client_from_env()?.result(&TxId::new(args.tx_id)).await?;
    Ok(result_json(&signed)?.to_string())
}

fn signature_request(args: RequestArgs) -> Result<SignatureRequest, Box<dyn Error>> {
    let signer = match (args.name, args.phone, args.birthday, args.ci) {
        (Some(name), Some(phone), Some(birthday), None) => {
            Signer::personal(name, phone, parse_birthday(&birthday)?)
        }
        (None, None, None, Some(ci)) => Signer::ci(ci),
        _ => return Err("give --name, --phone and --birthday, or --ci".into()),
    };
    let document = if let Some(text) = args.doc_text {
        Document::text(text)
    } else if let Some(path) = &args.doc_file {
        Document::text(read_text(path)?)
    } else if let Some(path) = &args.html_file {
        Document::html(read_text(path)?)
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

/// The result as JSON, with the outcome of verifying its signedDoc offline.
pub(crate) fn result_json(signed: &SignedDocument) -> Result<Value, Box<dyn Error>> {
    let verification = match signed.verify() {
        Ok(report) => json!({"valid": true, "signer": report.signer}),
        Err(error) => json!({"valid": false, "reason": crate::error_chain(&error)}),
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

fn parse_birthday(text: &str) -> Result<Date, Box<dyn Error>> {
    Date::parse(text, format_description!("[year][month][day]"))
        .map_err(|_| format!("--birthday must be a date as YYYYMMDD, not `{text}`").into())
}

fn read_text(path: &Path) -> Result<String, Box<dyn Error>> {
    std::fs::read_to_string(path).map_err(|e| read_error(path, e))
}

fn read_error(path: &Path, error: std::io::Error) -> Box<dyn Error> {
    format!("cannot read {}: {error}", path.display()).into()
}
