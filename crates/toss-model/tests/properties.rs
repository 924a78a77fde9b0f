//! Property tests: arbitrary input never panics, and whatever is read is written back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use time::{OffsetDateTime, UtcOffset};
use toss_model::{
    DocType, Envelope, ErrorCode, RequestType, ResultResponse, SignRequest, SignStatus, Timestamp,
    TokenRequest, TriggerType,
};

proptest! {
    #[test]
    fn any_text_round_trips_through_the_enums(text in any::<String>()) {
        let json = serde_json::Value::String(text.clone());
        let code: ErrorCode = serde_json::from_value(json.clone()).unwrap();
        prop_assert_eq!(&serde_json::to_value(&code).unwrap(), &json);
        let status: SignStatus = serde_json::from_value(json).unwrap();
        prop_assert_eq!(status.as_str(), text.as_str());
        let request_type = RequestType::from(text.clone());
        prop_assert_eq!(request_type.to_string(), text);
    }

    #[test]
    fn timestamps_keep_instant_and_offset(
        seconds in -62_135_596_800i64..253_402_300_799,
        offset_minutes in -(23 * 60 + 59_i32)..=(23 * 60 + 59),
    ) {
        let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
        let Ok(at) = OffsetDateTime::from_unix_timestamp(seconds) else { return Ok(()) };
        let Some(local) = at.checked_to_offset(offset) else { return Ok(()) };
        let timestamp = Timestamp::from(local);
        let text = timestamp.to_string();
        prop_assert_eq!(text.len(), "2022-03-13T17:52:22+09:00".len());
        let reread = Timestamp::parse(&text).unwrap();
        prop_assert_eq!(reread, timestamp);
        prop_assert_eq!(reread.offset(), offset);
    }

    #[test]
    fn timestamp_parsing_never_panics(text in any::<String>()) {
        if let Ok(parsed) = Timestamp::parse(&text) {
            prop_assert_eq!(Timestamp::parse(&parsed.to_string()).unwrap(), parsed);
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<Envelope<ResultResponse>>(&bytes);
        let _ = serde_json::from_slice::<SignRequest>(&bytes);
        let _ = TokenRequest::from_form(&bytes);
    }

    #[test]
    fn any_builder_either_builds_or_names_a_rule(
        service_name in ".{0,60}",
        doc_title in ".{0,5}",
        doc in ".{0,40}",
        expire in any::<u32>(),
        personal in any::<bool>(),
        pdf in any::<bool>(),
        app_scheme in any::<bool>(),
        callback in any::<bool>(),
    ) {
        let mut builder = SignRequest::builder()
            .trigger_type(if app_scheme { TriggerType::AppScheme } else { TriggerType::Push })
            .session_key("v1$id$key")
            .service_name(service_name)
            .doc_title(doc_title)
            .doc(doc)
            .doc_type(if pdf { DocType::Pdf } else { DocType::Html })
            .expire_seconds(expire);
        builder = if personal {
            builder.request_type(RequestType::UserPersonal)
                .user_name("v1$id$a").user_phone("v1$id$b").user_birthday("v1$id$c")
        } else {
            builder.request_type(RequestType::UserCi).user_ci("v1$id$d")
        };
        if callback {
            builder = builder.success_callback_url("app://done");
        }
        match builder.build() {
            Ok(request) => {
                // A built request is read back identical, rules and all.
                let text = serde_json::to_string(&request).unwrap();
                let reread: SignRequest = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(reread, request);
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}
