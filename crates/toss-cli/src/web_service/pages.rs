//! The reference service's pages: mobile-first, no script, every text escaped.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use toss_evidence::{Bundle, Outcome};
use toss_model::plain::SignerName;
use toss_sign::runtime::tx::TxState;
use toss_sign::{SignatureRequested, SignedDocument};

/// No script, no other origin: the pages need neither.
pub(super) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;background:#fafafa;color:#222;\
font-family:'Noto Sans CJK KR','Noto Sans KR','Apple SD Gothic Neo',sans-serif}\
header{background:#0b3b8c;color:#fff;padding:14px 20px;font-weight:700}\
main{max-width:520px;margin:0 auto;padding:20px}h1{font-size:21px;margin:6px 0 14px}\
.card{background:#fff;border:1px solid #e6e6e6;border-radius:14px;padding:16px;margin:0 0 14px}\
label{display:block;font-size:14px;color:#555;margin-top:10px}\
input,textarea,select{width:100%;padding:12px;font-size:16px;border:1px solid #ccc;\
border-radius:10px;margin-top:4px;font-family:inherit}textarea{min-height:110px}\
.button{display:block;width:100%;text-align:center;background:#0b3b8c;color:#fff;border:0;\
border-radius:12px;padding:15px;font-size:17px;font-weight:700;text-decoration:none;\
margin-top:16px;font-family:inherit;cursor:pointer}\
.error{color:#b00020}.ok{color:#0a7a32;font-weight:700}.bad{color:#b00020;font-weight:700}\
.muted{color:#777;font-size:13px;word-break:break-all}\
table{width:100%;border-collapse:collapse;font-size:14px}td{padding:7px 4px;\
border-top:1px solid #eee;vertical-align:top}td:first-child{white-space:nowrap;color:#555}\
ul{padding-left:18px}li{margin:4px 0}.checks{list-style:none;padding:0;margin:0}\
.checks li{padding:9px 0;border-top:1px solid #eee}.checks li:first-child{border-top:0}";

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\
         <header>토스인증 예제 서비스</header><main>{body}</main></body></html>",
        text(title)
    )
}

/// The request form, with a problem to show when the last one was refused.
pub(super) fn form(problem: Option<&str>) -> String {
    let mut body = String::from("<h1>전자서명 요청</h1>");
    if let Some(problem) = problem {
        let _ = write!(
            body,
            "<p class=\"error\" id=\"problem\">{}</p>",
            text(problem)
        );
    }
    body.push_str(
        "<form method=\"post\" action=\"/signatures\" class=\"card\">\
         <label for=\"name\">이름</label><input id=\"name\" name=\"name\" required autocomplete=\"off\">\
         <label for=\"phone\">휴대폰 번호</label><input id=\"phone\" name=\"phone\" inputmode=\"numeric\" required autocomplete=\"off\">\
         <label for=\"birthday\">생년월일 (YYYY-MM-DD)</label><input id=\"birthday\" name=\"birthday\" required autocomplete=\"off\">\
         <label for=\"title\">문서 제목</label><input id=\"title\" name=\"title\" value=\"계좌 개설 동의서\" required>\
         <label for=\"doc_type\">문서 형식</label><select id=\"doc_type\" name=\"doc_type\">\
         <option value=\"text\">TEXT</option><option value=\"html\">HTML</option></select>\
         <label for=\"document\">문서</label><textarea id=\"document\" name=\"document\" required>\
본인은 계좌 개설 및 출금이체에 동의합니다.</textarea>\
         <label for=\"expire_seconds\">유효 시간 (초)</label>\
         <input id=\"expire_seconds\" name=\"expire_seconds\" type=\"number\" min=\"1\" max=\"1800\" value=\"300\">\
         <button class=\"button\" id=\"request\">토스로 서명 요청하기</button></form>\
         <p class=\"muted\">이름, 휴대폰 번호, 생년월일은 세션 키로 암호화되어 전송되고, 저장소에는 봉인되어 보관됩니다.</p>",
    );
    layout("전자서명 요청", &body)
}

/// The answer to a sign request: the links that open the Toss app.
pub(super) fn links(key: &str, requested: &SignatureRequested) -> String {
    let mut body = String::from("<h1>토스 앱에서 서명해 주세요</h1><div class=\"card\">");
    let _ = write!(
        body,
        "<p>거래 번호 <code id=\"tx-id\">{}</code></p>",
        text(requested.tx_id.as_str())
    );
    // The universal link works in any browser (the emulator serves it); the app scheme and
    // the Android intent open the app where it is installed.
    if let Some(ios) = &requested.ios_app_uri {
        let _ = write!(
            body,
            "<a class=\"button\" id=\"open-toss\" href=\"{}\">토스 앱 열기</a>",
            attr(ios)
        );
    }
    body.push_str("<ul class=\"muted\">");
    for (label, link) in [
        ("앱 스킴", &requested.app_scheme),
        ("Android", &requested.android_app_uri),
        ("iOS", &requested.ios_app_uri),
    ] {
        if let Some(link) = link {
            let _ = write!(body, "<li>{label}: {}</li>", text(link));
        }
    }
    let _ = write!(
        body,
        "</ul></div><p><a href=\"/signatures/{}\" id=\"status\">진행 상황 보기</a></p>",
        attr(key)
    );
    layout("토스 앱에서 서명해 주세요", &body)
}

/// While the result is awaited: refreshes itself every second (no script needed).
pub(super) fn waiting(state: TxState) -> String {
    let (headline, refresh) = match state {
        TxState::Expired => ("요청이 만료되었어요. 다시 요청해 주세요.", false),
        TxState::Failed => ("요청을 처리하지 못했어요.", false),
        _ => ("서명 결과를 확인하고 있어요…", true),
    };
    let body = format!(
        "<h1 id=\"waiting\">{headline}</h1><div class=\"card\"><p>상태: <code id=\"state\">{state:?}</code></p>\
         <p><a href=\"/\">새 요청</a></p></div>"
    );
    let page = layout("서명 확인 중", &body);
    if refresh {
        page.replacen(
            "<title>",
            "<meta http-equiv=\"refresh\" content=\"1\"><title>",
            1,
        )
    } else {
        page
    }
}

/// The verified proof and the evidence to download.
pub(super) fn proof(key: &str, signed: &SignedDocument, bundle: &Bundle) -> String {
    let verification = bundle.verification();
    let mut body = String::new();
    if verification.holds() {
        body.push_str("<h1 class=\"ok\" id=\"verdict\">서명이 검증되었어요</h1>");
    } else {
        body.push_str("<h1 class=\"bad\" id=\"verdict\">검증에 실패한 항목이 있어요</h1>");
    }
    let signer = signed
        .person
        .as_ref()
        .map_or_else(String::new, |person| SignerName::masked(&person.name));
    let _ = write!(
        body,
        "<div class=\"card\"><table>\
         <tr><td>거래 번호</td><td id=\"tx-id\">{}</td></tr>\
         <tr><td>서명한 분</td><td>{}</td></tr>\
         <tr><td>서명 시각</td><td>{}</td></tr>\
         <tr><td>signedDoc</td><td class=\"muted\">{} bytes (PKCS#7)</td></tr>\
         </table></div><div class=\"card\"><ul class=\"checks\" id=\"checks\">",
        text(signed.tx_id.as_str()),
        text(&signer),
        text(&crate::demo_cmd::rfc3339(signed.completed_at)),
        signed.signed_doc.der.len(),
    );
    for check in &verification.checks {
        let (class, mark) = match check.outcome {
            Outcome::Pass => ("ok", "통과"),
            Outcome::Absent | Outcome::Note => ("muted", "참고"),
            _ => ("bad", "실패"),
        };
        let _ = write!(
            body,
            "<li><strong>{}</strong> <span class=\"{class}\">{mark}</span><div class=\"muted\">{}</div></li>",
            text(check.check.name()),
            text(&check.detail)
        );
    }
    body.push_str(
        "</ul></div><div class=\"card\"><strong>증거 묶음 내려받기</strong><ul id=\"downloads\">",
    );
    for name in bundle.names() {
        let _ = write!(
            body,
            "<li><a href=\"/signatures/{}/evidence/{}\">{}</a></li>",
            attr(key),
            attr(name),
            text(name)
        );
    }
    body.push_str("</ul></div><p><a href=\"/\">새 요청</a></p>");
    layout("서명 증명", &body)
}

/// After 취소 in the app (failCallbackUrl).
pub(super) fn cancelled() -> String {
    layout(
        "서명 취소",
        "<h1 id=\"cancelled\">서명을 취소하셨어요</h1><div class=\"card\">\
         <p>요청은 서명되지 않은 채 만료됩니다.</p><p><a href=\"/\">새 요청</a></p></div>",
    )
}

pub(super) fn unknown() -> String {
    layout(
        "찾을 수 없음",
        "<h1>찾을 수 없는 요청이에요</h1><p><a href=\"/\">새 요청</a></p>",
    )
}

pub(super) fn failure(message: &str) -> String {
    layout(
        "오류",
        &format!(
            "<h1 class=\"bad\">{}</h1><p><a href=\"/\">처음으로</a></p>",
            text(message)
        ),
    )
}
