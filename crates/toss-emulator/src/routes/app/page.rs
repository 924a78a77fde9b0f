//! The HTML of the app screens: one mobile-first layout, the document rendered safely.
//!
//! Every text from a request is escaped; an HTML document is sanitised (ammonia: no
//! script, no event handler, no `javascript:` URL survives), and the pages are served with a
//! Content-Security-Policy that allows no script at all, so that even a sanitiser miss
//! cannot run.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use time::OffsetDateTime;
use toss_model::DocType;
use toss_model::plain::{Document, SignerName};

use crate::state::ScreenView;
use crate::user::{Person, Stage};

/// What the pages may load and run: their own inline style, images inlined as data, nothing
/// else — no script, no frame, no other origin.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; base-uri 'none'; frame-ancestors 'none'";

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;background:#f2f4f6;color:#191f28;font-family:'Noto Sans CJK KR','Noto Sans KR',\
'Apple SD Gothic Neo',sans-serif;-webkit-text-size-adjust:100%}\
header{background:#fff;padding:14px 20px;font-weight:700;font-size:17px;color:#3182f6;\
border-bottom:1px solid #e5e8eb}\
main{max-width:480px;margin:0 auto;padding:20px}\
h1{font-size:22px;line-height:1.4;margin:8px 0 4px}\
.sub{color:#6b7684;font-size:15px;margin:0 0 16px}\
.card{background:#fff;border-radius:16px;padding:18px;margin:0 0 14px}\
.doc{white-space:pre-wrap;word-break:break-word;font-size:15px;line-height:1.6;\
max-height:45vh;overflow:auto}\
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 14px;margin:0;font-size:15px}\
dt{color:#6b7684}dd{margin:0;word-break:break-all}\
.actions{display:flex;gap:10px;margin-top:18px}\
button,.button{flex:1;display:block;text-align:center;text-decoration:none;border:0;\
border-radius:14px;padding:16px;font-size:17px;font-weight:700;font-family:inherit;\
cursor:pointer}\
.primary{background:#3182f6;color:#fff}.secondary{background:#e8f3ff;color:#1b64da}\
.notice{font-size:17px;line-height:1.5}.muted{color:#8b95a1;font-size:13px}\
ul{list-style:none;padding:0;margin:0}li a{display:block;padding:14px 0;color:inherit;\
text-decoration:none;border-bottom:1px solid #f2f4f6}\
input{width:100%;padding:14px;font-size:16px;border:1px solid #d1d6db;border-radius:12px;\
margin:6px 0 12px}label{font-size:14px;color:#4e5968}";

/// A whole page around `body` (already HTML).
pub(crate) fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\
         <header>toss 토스인증 <span class=\"muted\">에뮬레이터</span></header>\
         <main>{body}</main></body></html>",
        text(title)
    )
}

/// The signing screen of a transaction that can still be signed or declined, or that the
/// user already signed or declined.
pub(crate) fn sign_screen(
    action: &str,
    view: &ScreenView,
    now: OffsetDateTime,
    notice: Option<&str>,
) -> String {
    let person = Person::of(&view.signer);
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"sub\">{}에서 전자서명을 요청했어요</p><h1 id=\"title\">{}</h1>",
        text(&view.service_name),
        text(&view.doc_title),
    );
    if let Some(notice) = notice {
        let _ = write!(
            body,
            "<div class=\"card notice\" id=\"notice\">{notice}</div>"
        );
    }
    let _ = write!(
        body,
        "<div class=\"card\"><dl><dt>요청한 곳</dt><dd>{}</dd><dt>서명할 분</dt><dd>{}</dd>\
         <dt>남은 시간</dt><dd id=\"time-left\">{}</dd></dl></div>",
        text(&view.service_name),
        text(&SignerName::masked(&person.name)),
        time_left(view.expires_at, now),
    );
    let _ = write!(
        body,
        "<div class=\"card\"><div class=\"doc\" id=\"document\">{}</div></div>",
        document(view)
    );
    match (view.stage, view.declined) {
        (Stage::Completed { .. }, _) => body.push_str(
            "<div class=\"card notice\" id=\"state\">서명을 완료했어요. 서비스로 돌아가세요.</div>",
        ),
        (Stage::Expired, _) => body.push_str(
            "<div class=\"card notice\" id=\"state\">만료된 요청이에요. 서비스에서 다시 요청해 주세요.</div>",
        ),
        (_, true) => body.push_str(
            "<div class=\"card notice\" id=\"state\">서명을 취소했어요.</div>",
        ),
        (Stage::Requested | Stage::InProgress, false) => {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"{}\" class=\"actions\">\
                 <button class=\"secondary\" id=\"cancel\" name=\"action\" value=\"cancel\">취소</button>\
                 <button class=\"primary\" id=\"sign\" name=\"action\" value=\"sign\">서명하기</button>\
                 </form>",
                attr(action)
            );
        }
    }
    layout(&view.doc_title, &body)
}

/// A page for a transaction that is only remembered for its status, or not at all.
pub(crate) fn finished_screen(stage: Option<Stage>) -> String {
    let message = match stage {
        Some(Stage::Completed { .. }) => "이미 서명을 완료한 요청이에요.",
        Some(Stage::Expired) => "만료된 요청이에요. 서비스에서 다시 요청해 주세요.",
        Some(Stage::Requested | Stage::InProgress) => "이 요청은 더 이상 열 수 없어요.",
        None => "존재하지 않는 요청이에요.",
    };
    layout(
        "토스인증",
        &format!("<div class=\"card notice\" id=\"state\">{message}</div>"),
    )
}

/// The document as the screen shows it: text escaped, HTML sanitised, a PDF (or a
/// document sent as its hash only) by its SHA-256.
fn document(view: &ScreenView) -> String {
    match view.doc_type {
        DocType::Html => ammonia::clean(&view.doc),
        DocType::Pdf => {
            let digest = Document::from_wire(&DocType::Pdf, &view.doc)
                .ok()
                .and_then(|document| document.pdf_digest().copied())
                .map_or_else(|| "알 수 없음".to_owned(), hex::encode);
            format!(
                "PDF 문서 (내용 대신 해시로 서명합니다)<br><span class=\"muted\">SHA-256</span> \
                 <code id=\"pdf-hash\">{digest}</code>"
            )
        }
        _ => text(&view.doc).into_owned(),
    }
}

/// The time from `now` until `expires_at`, as the app says it: 4분 59초.
pub(crate) fn time_left(expires_at: OffsetDateTime, now: OffsetDateTime) -> String {
    let left = (expires_at - now).whole_seconds().max(0);
    format!("{}분 {}초", left / 60, left % 60)
}

/// The inbox: a form asking whose requests to show, and those requests.
pub(crate) fn inbox(action: &str, items: Option<&[InboxRow]>) -> String {
    let mut body = String::from("<h1>받은 서명 요청</h1>");
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{}\" class=\"card\">\
         <label for=\"phone\">휴대폰 번호 (USER_PERSONAL)</label>\
         <input id=\"phone\" name=\"phone\" inputmode=\"numeric\" autocomplete=\"off\">\
         <label for=\"ci\">또는 CI (USER_CI)</label>\
         <input id=\"ci\" name=\"ci\" autocomplete=\"off\">\
         <button class=\"primary\" id=\"show\">요청 보기</button></form>",
        attr(action)
    );
    if let Some(items) = items {
        if items.is_empty() {
            body.push_str("<div class=\"card notice\" id=\"empty\">기다리는 요청이 없어요.</div>");
        } else {
            body.push_str("<div class=\"card\"><ul id=\"requests\">");
            for item in items {
                let _ = write!(
                    body,
                    "<li><a href=\"{}\"><strong>{}</strong><br><span class=\"muted\">{} · {} 남음</span></a></li>",
                    attr(&item.href),
                    text(&item.doc_title),
                    text(&item.service_name),
                    text(&item.time_left),
                );
            }
            body.push_str("</ul></div>");
        }
    }
    layout("받은 서명 요청", &body)
}

/// One line of the inbox.
pub(crate) struct InboxRow {
    pub(crate) href: String,
    pub(crate) doc_title: String,
    pub(crate) service_name: String,
    pub(crate) time_left: String,
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use zeroize::Zeroizing;

    use super::*;
    use crate::state::Signer;

    fn view(doc_type: DocType, doc: &str) -> ScreenView {
        ScreenView {
            service_name: "토스증권 <b>".to_owned(),
            doc_title: "계좌 개설 \"동의\"".to_owned(),
            signer: Signer::Personal {
                name: Zeroizing::new("홍길동".to_owned()),
                phone: Zeroizing::new("01012345678".to_owned()),
                birthday: Zeroizing::new("19900101".to_owned()),
            },
            doc: Zeroizing::new(doc.to_owned()),
            doc_type,
            stage: Stage::InProgress,
            declined: false,
            expires_at: OffsetDateTime::UNIX_EPOCH + Duration::seconds(299),
        }
    }

    #[test]
    fn text_is_escaped_and_html_sanitised() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let page = sign_screen(
            "/app/sign/t",
            &view(DocType::Text, "<script>x()</script>"),
            now,
            None,
        );
        assert!(page.contains("&lt;script&gt;x()&lt;/script&gt;"), "{page}");
        assert!(page.contains("토스증권 &lt;b&gt;"));
        assert!(page.contains("홍*동"));
        assert!(!page.contains("홍길동"));
        assert!(page.contains("4분 59초"));
        assert!(page.contains("서명하기") && page.contains("취소"));

        let html = "<p>동의 <b>합니다</b></p><script>document.title='x'</script>\
                    <img src=x onerror=\"document.title='y'\"><a href=\"javascript:alert(1)\">z</a>";
        let page = sign_screen("/app/sign/t", &view(DocType::Html, html), now, None);
        assert!(page.contains("<b>합니다</b>"), "{page}");
        assert!(!page.contains("<script>document"), "{page}");
        assert!(!page.contains("onerror"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
    }

    #[test]
    fn a_pdf_is_shown_by_its_hash() {
        use base64::Engine as _;
        let hash = [7u8; 32];
        let wire = base64::engine::general_purpose::STANDARD.encode(hash);
        let page = sign_screen(
            "/a",
            &view(DocType::Pdf, &wire),
            OffsetDateTime::UNIX_EPOCH,
            None,
        );
        assert!(page.contains(&"07".repeat(32)), "{page}");
    }

    #[test]
    fn finished_states_offer_no_buttons() {
        let mut done = view(DocType::Text, "x");
        done.stage = Stage::Expired;
        let page = sign_screen("/a", &done, OffsetDateTime::UNIX_EPOCH, None);
        assert!(page.contains("만료된 요청이에요"));
        assert!(!page.contains("서명하기"));
        done.stage = Stage::InProgress;
        done.declined = true;
        let page = sign_screen("/a", &done, OffsetDateTime::UNIX_EPOCH, None);
        assert!(page.contains("서명을 취소했어요"));
        assert!(!page.contains("서명하기"));
    }
}
