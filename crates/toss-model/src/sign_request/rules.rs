//! The provider's rules for a sign request, checked in a fixed order.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{
    DOC_RECOMMENDED_MAX_CHARS, EXPIRE_SECONDS_MAX, SERVICE_NAME_MAX_CHARS, SignRequest,
    SignRequestBuilder, SignRequestWarning,
};
use crate::enums::{DocType, RequestType, SignatureType, TriggerType};
use crate::error::ValidationError;

/// Checks `builder` against every rule and returns the first one it breaks.
pub(super) fn check(builder: SignRequestBuilder) -> Result<SignRequest, ValidationError> {
    let SignRequestBuilder {
        request_type,
        trigger_type,
        user_name,
        user_phone,
        user_birthday,
        user_ci,
        session_key,
        service_name,
        doc_title,
        doc,
        doc_type,
        doc_encrypted,
        signature_type,
        expire_seconds,
        success_callback_url,
        fail_callback_url,
    } = builder;

    let request_type = request_type.ok_or(missing("requestType"))?;
    let trigger_type = trigger_type.ok_or(missing("triggerType"))?;
    let service_name = service_name.ok_or(missing("serviceName"))?;
    let doc_title = doc_title.ok_or(missing("docTitle"))?;
    let doc = doc.ok_or(missing("doc"))?;
    let doc_type = doc_type.ok_or(missing("docType"))?;

    if doc_title.trim().is_empty() {
        return Err(ValidationError::EmptyDocTitle);
    }
    if doc.trim().is_empty() {
        return Err(ValidationError::EmptyDoc);
    }

    let service_name_chars = service_name.chars().count();
    if service_name_chars > SERVICE_NAME_MAX_CHARS {
        return Err(ValidationError::ServiceNameTooLong {
            chars: service_name_chars,
        });
    }

    let expire_seconds = expire_seconds.map(checked_expire_seconds).transpose()?;

    let personal = [
        ("userName", &user_name),
        ("userPhone", &user_phone),
        ("userBirthday", &user_birthday),
    ];
    let any_personal = personal.iter().any(|(_, value)| value.is_some());
    if user_ci.is_some() && any_personal {
        return Err(ValidationError::MixedSignerFields);
    }
    match request_type {
        RequestType::UserPersonal => {
            let missing: Vec<&'static str> = personal
                .iter()
                .filter(|(_, value)| value.is_none())
                .map(|(field, _)| *field)
                .collect();
            if !missing.is_empty() {
                return Err(ValidationError::MissingPersonalFields { missing });
            }
        }
        RequestType::UserCi if user_ci.is_none() => return Err(ValidationError::MissingUserCi),
        _ => {}
    }

    let doc_is_encrypted = doc_encrypted.unwrap_or(false);
    let carries_encrypted = matches!(
        request_type,
        RequestType::UserPersonal | RequestType::UserCi
    ) || any_personal
        || user_ci.is_some()
        || doc_is_encrypted;
    if carries_encrypted && session_key.is_none() {
        return Err(ValidationError::MissingSessionKey);
    }

    let must_be_envelopes = [
        ("userName", user_name.as_deref()),
        ("userPhone", user_phone.as_deref()),
        ("userBirthday", user_birthday.as_deref()),
        ("userCi", user_ci.as_deref()),
        ("sessionKey", session_key.as_deref()),
        ("doc", doc_is_encrypted.then_some(doc.as_str())),
    ];
    for (field, value) in must_be_envelopes {
        if value.is_some_and(|text| !looks_like_envelope(text)) {
            return Err(ValidationError::NotEncrypted { field });
        }
    }

    if trigger_type != TriggerType::AppScheme {
        let callbacks = [
            ("successCallbackUrl", &success_callback_url),
            ("failCallbackUrl", &fail_callback_url),
        ];
        if let Some((field, _)) = callbacks.iter().find(|(_, url)| url.is_some()) {
            return Err(ValidationError::CallbackWithoutAppScheme { field });
        }
    }

    if doc_type == DocType::Pdf {
        let effective = signature_type.clone().unwrap_or(SignatureType::Pkcs7);
        if effective != SignatureType::Pkcs7NoContentWithAttr {
            return Err(ValidationError::PdfWithoutNoContentSignature {
                signature_type: effective,
            });
        }
        // An encrypted doc is an envelope around the base64; only a plain one can be checked.
        if !doc_is_encrypted && STANDARD.decode(&doc).is_err() {
            return Err(ValidationError::PdfDocNotBase64);
        }
    }

    let warnings = warnings(&doc);

    Ok(SignRequest {
        request_type,
        trigger_type,
        user_name,
        user_phone,
        user_birthday,
        user_ci,
        session_key,
        service_name,
        doc_title,
        doc,
        doc_type,
        doc_encrypted,
        signature_type,
        expire_seconds,
        success_callback_url,
        fail_callback_url,
        warnings,
    })
}

/// The advice about `doc` as sent (an encrypted document counts its envelope).
pub(crate) fn warnings(doc: &str) -> Vec<SignRequestWarning> {
    let chars = doc.chars().count();
    if chars > DOC_RECOMMENDED_MAX_CHARS {
        vec![SignRequestWarning::LongDoc { chars }]
    } else {
        Vec::new()
    }
}

fn missing(field: &'static str) -> ValidationError {
    ValidationError::MissingField { field }
}

fn checked_expire_seconds(value: i64) -> Result<u32, ValidationError> {
    u32::try_from(value)
        .ok()
        .filter(|seconds| (1..=EXPIRE_SECONDS_MAX).contains(seconds))
        .ok_or(ValidationError::ExpireSecondsOutOfRange { value })
}

/// Whether `text` has the shape of a `v1$<id>$<payload>[$<hmac>]` envelope or session key.
///
/// Only the shape: the content is checked by whoever holds the key. This catches the costly
/// mistake of sending personal data in plain text.
fn looks_like_envelope(text: &str) -> bool {
    let mut parts = text.split('$');
    let version_ok = parts
        .next()
        .is_some_and(|version| version == "v1" || version.starts_with("v1_"));
    let id_ok = parts.next().is_some_and(|id| !id.is_empty());
    let payload_ok = parts.next().is_some_and(|payload| !payload.is_empty());
    version_ok && id_ok && payload_ok
}

#[cfg(test)]
mod tests {
    use super::looks_like_envelope;

    #[test]
    fn envelope_shapes() {
        for good in [
            "v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$aMC2MHpP/6SoHGqBj1uJVOeyhgI1Dkvu5g==",
            "v1_0.0.14$id$payload",
            "v1$id$payload$0123abcd",
        ] {
            assert!(looks_like_envelope(good), "{good}");
        }
        for bad in [
            "",
            "김토스",
            "01012345678",
            "v1",
            "v1$",
            "v1$id",
            "v1$id$",
            "v1$$payload",
            "v2$id$payload",
            "V1$id$payload",
        ] {
            assert!(!looks_like_envelope(bad), "{bad}");
        }
    }
}
