//! `report.html`: a one-page certificate of completion in Korean, for a person to read and
//! print: who signed what, when, with which certificate, and each check's verdict.

use std::fmt::Write as _;

use html_escape::encode_text as text;
use toss_signed_doc::{RevocationStatus, SignedDoc};

use crate::check::{Check, CheckId, Outcome, Verification};
use crate::record::Evidence;
use crate::time_text::korean;

const STYLE: &str = "
@page { size: A4; margin: 16mm; }
* { box-sizing: border-box; }
body { font-family: 'Noto Sans CJK KR', 'Noto Sans KR', 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif;
       color: #191f28; margin: 0 auto; max-width: 190mm; padding: 12px; font-size: 13px; line-height: 1.5; }
h1 { font-size: 24px; margin: 0 0 2px; }
.sub { color: #4e5968; margin: 0 0 14px; }
.verdict { padding: 10px 14px; border-radius: 8px; font-weight: bold; font-size: 15px; margin-bottom: 14px; }
.verdict.ok { background: #e8f7ee; color: #0b6b34; border: 1px solid #7fd19b; }
.verdict.no { background: #fdecec; color: #a4161a; border: 1px solid #f19c9c; }
h2 { font-size: 15px; border-bottom: 2px solid #3182f6; padding-bottom: 3px; margin: 16px 0 6px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid #e5e8eb; }
th { width: 28%; color: #4e5968; font-weight: normal; }
td.mono, span.mono, code { font-family: 'DejaVu Sans Mono', monospace; font-size: 11px; }
td.mono, span.mono { word-break: break-all; }
.checks th { width: 24%; }
.result { font-weight: bold; white-space: nowrap; }
.pass { color: #0b6b34; } .fail { color: #a4161a; } .none { color: #8b95a1; } .note { color: #b25e00; }
.detail { color: #4e5968; font-size: 11px; }
footer { margin-top: 16px; color: #6b7684; font-size: 11px; }
";

/// The report of `evidence` about `signed`, from `verification`.
pub(crate) fn render(
    evidence: &Evidence,
    signed: &SignedDoc,
    verification: &Verification,
) -> String {
    let mut html = String::with_capacity(8 * 1024);
    let report = verification.report.as_ref();
    html.push_str("<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        html,
        "<title>전자서명 완료 확인서 · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        text(&evidence.tx_id)
    );
    html.push_str("<h1>전자서명 완료 확인서</h1>\n");
    let _ = writeln!(
        html,
        "<p class=\"sub\">토스인증 일반 전자서명 · 거래 ID <span class=\"mono\">{}</span></p>",
        text(&evidence.tx_id)
    );
    match verification.first_failure() {
        None => html.push_str(
            "<div class=\"verdict ok\">모든 검증을 통과했습니다. 이 서명은 서명 시점에 유효했습니다.</div>\n",
        ),
        Some(failed) => {
            let _ = writeln!(
                html,
                "<div class=\"verdict no\">검증되지 않았습니다: {} — {}</div>",
                label(failed.check),
                outcome_text(failed.outcome)
            );
        }
    }

    html.push_str("<h2>서명한 문서</h2>\n<table>\n");
    row(
        &mut html,
        "서비스",
        evidence
            .document
            .service_name
            .as_deref()
            .unwrap_or("(알 수 없음)"),
    );
    row(
        &mut html,
        "문서 제목",
        evidence.document.title.as_deref().unwrap_or("(알 수 없음)"),
    );
    row(&mut html, "문서 종류", document_kind(evidence));
    row(&mut html, "서명 방식", &evidence.document.signature_type);
    if let Some(report) = report {
        mono_row(
            &mut html,
            &format!("문서 해시 ({})", report.digest_algorithm),
            &hex::encode(&report.message_digest),
        );
    }
    html.push_str("</table>\n");

    html.push_str("<h2>서명자와 인증서</h2>\n<table>\n");
    if let Some(report) = report {
        let signer = &report.signer;
        row(
            &mut html,
            "서명자",
            signer.common_name.as_deref().unwrap_or("(이름 없음)"),
        );
        mono_row(&mut html, "인증서 일련번호", &signer.serial_number_hex);
        row(&mut html, "발급자", &signer.issuer);
        row(
            &mut html,
            "인증서 유효기간",
            &format!(
                "{} ~ {}",
                korean(signer.not_before),
                korean(signer.not_after)
            ),
        );
    } else {
        mono_row(&mut html, "인증서 일련번호", &signed.signer_serial_hex());
    }
    html.push_str("</table>\n");

    html.push_str("<h2>시각</h2>\n<table>\n");
    row(&mut html, "서명 요청", &korean(evidence.requested_at));
    if let Some(at) = report.and_then(|r| r.signing_time) {
        row(&mut html, "서명 (signedDoc의 signingTime)", &korean(at));
    }
    row(
        &mut html,
        "서명 완료 (토스인증)",
        &korean(evidence.completed_at),
    );
    if let Some(stamp) = &verification.timestamp {
        row(
            &mut html,
            "타임스탬프 (시점확인)",
            &format!("{} · {}", korean(stamp.time), stamp.authority),
        );
    }
    row(&mut html, "증거 수집", &korean(evidence.collected_at));
    html.push_str("</table>\n");

    html.push_str("<h2>검증 결과</h2>\n<table class=\"checks\">\n");
    for check in &verification.checks {
        check_row(&mut html, check, verification);
    }
    html.push_str("</table>\n");

    let _ = writeln!(
        html,
        "<footer>이 확인서와 함께 내보낸 파일(각 파일의 SHA-256은 manifest.json에 있습니다)로 언제든 \
         오프라인에서 다시 검증할 수 있습니다: <code>tosscert evidence verify &lt;폴더&gt; \
         --trust-anchor &lt;CA 인증서&gt;</code><br>증거 수집: toss-cert {}</footer>\n</body>\n</html>",
        text(&evidence.sdk_version)
    );
    html
}

fn row(html: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        html,
        "<tr><th>{}</th><td>{}</td></tr>",
        text(name),
        text(value)
    );
}

fn mono_row(html: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        html,
        "<tr><th>{}</th><td class=\"mono\">{}</td></tr>",
        text(name),
        text(value)
    );
}

fn check_row(html: &mut String, check: &Check, verification: &Verification) {
    let class = match check.outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::NotChecked | Outcome::Absent => "none",
        Outcome::Note => "note",
    };
    let summary = summary(check, verification);
    let _ = writeln!(
        html,
        "<tr><th>{}</th><td><span class=\"result {class}\">{}</span> {}<br><span class=\"detail\">{}</span></td></tr>",
        label(check.check),
        outcome_text(check.outcome),
        text(&summary),
        text(&check.detail)
    );
}

/// What a person needs to know of a check, in Korean.
fn summary(check: &Check, verification: &Verification) -> String {
    match (check.check, check.outcome) {
        (CheckId::Signature, Outcome::Pass) => {
            "서명자 인증서의 키로 한 서명이 맞습니다.".to_owned()
        }
        (CheckId::Document, Outcome::Pass) => "서명된 문서와 이 문서가 같습니다.".to_owned(),
        (CheckId::Chain, Outcome::Pass) => {
            "인증서가 신뢰하는 인증기관에서 발급되었습니다.".to_owned()
        }
        (CheckId::Revocation, Outcome::Pass) => match &verification.revocation {
            Some(r) if r.status == RevocationStatus::RevokedAfterSigning => format!(
                "서명 당시 유효했습니다. 인증서는 서명 후 {}에 폐지되었습니다.",
                r.revoked_at.map(korean).unwrap_or_default()
            ),
            _ => "서명 시점에 인증서가 폐지되지 않았습니다.".to_owned(),
        },
        (CheckId::Revocation, Outcome::Fail) => {
            "인증서가 서명 전에 폐지되었거나, 폐지 목록(CRL)을 믿을 수 없습니다.".to_owned()
        }
        (CheckId::Timestamp, Outcome::Pass) => {
            "이 시각에 서명이 이미 존재했음을 시점확인 기관이 증명합니다.".to_owned()
        }
        (CheckId::Timestamp, Outcome::Absent) => "타임스탬프를 받지 않았습니다.".to_owned(),
        (CheckId::CertificateCheck, Outcome::Pass) => {
            "증거 수집 시 토스인증이 인증서를 유효하다고 답했습니다.".to_owned()
        }
        (CheckId::CertificateCheck, Outcome::Note) => {
            "증거 수집 시점의 토스인증 답변입니다 (서명 시점의 유효성과는 별개).".to_owned()
        }
        (_, Outcome::NotChecked) => "확인하지 못했습니다.".to_owned(),
        (_, Outcome::Fail) => "검증에 실패했습니다.".to_owned(),
        _ => String::new(),
    }
}

fn label(check: CheckId) -> &'static str {
    match check {
        CheckId::Signature => "전자서명",
        CheckId::Document => "문서 일치",
        CheckId::Chain => "인증서 체인",
        CheckId::Revocation => "서명 시점의 폐지 여부",
        CheckId::Timestamp => "타임스탬프",
        CheckId::CertificateCheck => "토스인증 인증서 확인",
    }
}

fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "통과",
        Outcome::Fail => "실패",
        Outcome::NotChecked => "확인 안 됨",
        Outcome::Absent => "없음",
        Outcome::Note => "참고",
    }
}

fn document_kind(evidence: &Evidence) -> &'static str {
    if evidence.document.is_pdf() {
        "PDF (해시에 서명)"
    } else if evidence.document.is_html() {
        "HTML"
    } else {
        "텍스트"
    }
}
