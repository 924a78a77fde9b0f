//! One negative test per error: each malformed input gives its own typed error, and no
//! message quotes the input.
#![cfg(any(feature = "aws-lc", feature = "rustcrypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use toss_crypto::{
    Algorithm, CryptoProvider, DecryptError, EnvelopeError, Error, KeyMaterialError, RsaKeyError,
    Session, SessionFormatError, SessionGenerator, SessionOpener,
};

const ID: &str = "b94ea687-0a72-43f8-be24-7be5029fa998";
const KEY: &str = "KxHeNnbiR5Eh5d/9KJCN6jUW5Md9nkk8jU6WbkmR7Es=";
const GCM_IV: &str = "jbZIV4aBzrydN0IP";
const CBC_IV: &str = "39snm5HcFHdWq1Z9vA4m8Q==";
const SECRET_TEXT: &str = "Layton Nicholson";

fn provider() -> &'static CryptoProvider {
    support::providers()[0].1
}

fn gcm() -> Session {
    Session::deserialize_with_provider(&support::serialized(ID, "AES_GCM", KEY, GCM_IV), provider())
        .unwrap()
}

fn cbc() -> Session {
    Session::deserialize_with_provider(&support::serialized(ID, "AES_CBC", KEY, CBC_IV), provider())
        .unwrap()
}

/// Asserts that `result` failed with `expected` and that its message keeps secrets out.
#[track_caller]
fn assert_error<T: std::fmt::Debug>(result: Result<T, Error>, expected: &Error) {
    let error = result.expect_err("expected an error");
    assert_eq!(format!("{error:?}"), format!("{expected:?}"));
    let text = format!("{error} {error:?}");
    for secret in [KEY, GCM_IV, CBC_IV, SECRET_TEXT] {
        assert!(!text.contains(secret), "{text} quotes its input");
    }
}

fn test_key_generator() -> SessionGenerator {
    SessionGenerator::builder()
        .public_key(support::text("test_public_key.b64"))
        .crypto_provider(provider())
        .build()
        .unwrap()
}

fn test_key_opener() -> SessionOpener {
    let der = STANDARD
        .decode(support::text("test_private_key.b64"))
        .unwrap();
    SessionOpener::from_private_key_der(&der, provider()).unwrap()
}

// --- envelopes ---------------------------------------------------------------------------

#[test]
fn envelope_with_the_wrong_number_of_parts() {
    let cbc_envelope = cbc().encrypt(SECRET_TEXT).unwrap();
    assert_error(
        gcm().decrypt(&cbc_envelope),
        &EnvelopeError::PartCount {
            expected: 3,
            found: 4,
        }
        .into(),
    );
    let gcm_envelope = gcm().encrypt(SECRET_TEXT).unwrap();
    assert_error(
        cbc().decrypt(&gcm_envelope),
        &EnvelopeError::PartCount {
            expected: 4,
            found: 3,
        }
        .into(),
    );
    assert_error(
        gcm().decrypt(""),
        &EnvelopeError::PartCount {
            expected: 3,
            found: 1,
        }
        .into(),
    );
}

#[test]
fn envelope_with_an_unsupported_version() {
    let envelope = gcm()
        .encrypt(SECRET_TEXT)
        .unwrap()
        .replacen("v1$", "v2$", 1);
    assert_error(gcm().decrypt(&envelope), &EnvelopeError::Version.into());
}

#[test]
fn envelope_with_another_sessions_version() {
    let envelope = gcm()
        .encrypt(SECRET_TEXT)
        .unwrap()
        .replacen("v1$", "v1_0.0.14$", 1);
    assert_error(
        gcm().decrypt(&envelope),
        &EnvelopeError::VersionMismatch.into(),
    );
}

#[test]
fn envelope_of_another_session() {
    let envelope = gcm()
        .encrypt(SECRET_TEXT)
        .unwrap()
        .replace(ID, "e29491b8-aeaf-463f-9994-60b70b3945f2");
    assert_error(
        gcm().decrypt(&envelope),
        &EnvelopeError::SessionIdMismatch.into(),
    );
}

#[test]
fn envelope_with_bad_base64() {
    let envelope = format!("v1${ID}$not base64!");
    assert_error(
        gcm().decrypt(&envelope),
        &EnvelopeError::Base64 { part: "ciphertext" }.into(),
    );
    // Unpadded base64 is refused too: the provider always pads.
    let padded = gcm().encrypt(SECRET_TEXT).unwrap();
    assert!(padded.ends_with('='));
    assert_error(
        gcm().decrypt(padded.trim_end_matches('=')),
        &EnvelopeError::Base64 { part: "ciphertext" }.into(),
    );
}

#[test]
fn envelope_with_a_malformed_hmac() {
    let envelope = cbc().encrypt(SECRET_TEXT).unwrap();
    let (body, mac) = envelope.rsplit_once('$').unwrap();
    assert_error(
        cbc().decrypt(&format!("{body}$zz{}", &mac[2..])),
        &EnvelopeError::HmacEncoding.into(),
    );
    assert_error(
        cbc().decrypt(&format!("{body}${}", &mac[..62])),
        &EnvelopeError::HmacEncoding.into(),
    );
}

// --- decryption --------------------------------------------------------------------------

#[test]
fn gcm_tag_that_does_not_verify() {
    let envelope = gcm().encrypt(SECRET_TEXT).unwrap();
    let (head, body) = envelope.rsplit_once('$').unwrap();
    let mut bytes = STANDARD.decode(body).unwrap();
    bytes[0] ^= 1;
    let tampered = format!("{head}${}", STANDARD.encode(bytes));
    assert_error(gcm().decrypt(&tampered), &DecryptError::Tag.into());
}

#[test]
fn gcm_ciphertext_shorter_than_a_tag() {
    let envelope = format!("v1${ID}${}", STANDARD.encode([0u8; 15]));
    assert_error(
        gcm().decrypt(&envelope),
        &DecryptError::CiphertextLength(15).into(),
    );
}

#[test]
fn cbc_hmac_that_does_not_match() {
    let envelope = cbc().encrypt(SECRET_TEXT).unwrap();
    let other = cbc().encrypt("Rocco Mills").unwrap();
    let (body, _) = envelope.rsplit_once('$').unwrap();
    let (_, other_mac) = other.rsplit_once('$').unwrap();
    assert_error(
        cbc().decrypt(&format!("{body}${other_mac}")),
        &DecryptError::Hmac.into(),
    );
}

#[test]
fn cbc_hmac_in_upper_case_hex_is_accepted() {
    let envelope = cbc().encrypt(SECRET_TEXT).unwrap();
    let (body, mac) = envelope.rsplit_once('$').unwrap();
    let upper = format!("{body}${}", mac.to_uppercase());
    assert_eq!(*cbc().decrypt(&upper).unwrap(), SECRET_TEXT);
}

#[test]
fn cbc_padding_that_is_invalid() {
    // A block whose last decrypted byte is 0 has invalid PKCS#7 padding; find one.
    let session = cbc();
    let key = STANDARD.decode(KEY).unwrap();
    let iv = STANDARD.decode(CBC_IV).unwrap();
    let block = (0u8..=255)
        .map(|b| [b; 16])
        .find(|block| provider().aes_cbc.decrypt(&key, &iv, block).is_err())
        .unwrap();
    let envelope = format!("v1${ID}${}${}", STANDARD.encode(block), "0".repeat(64));
    assert_error(session.decrypt(&envelope), &DecryptError::Padding.into());
}

#[test]
fn cbc_ciphertext_that_is_not_whole_blocks() {
    let envelope = format!("v1${ID}${}${}", STANDARD.encode([0u8; 20]), "0".repeat(64));
    assert_error(
        cbc().decrypt(&envelope),
        &DecryptError::CiphertextLength(20).into(),
    );
    let empty = format!("v1${ID}$${}", "0".repeat(64));
    assert_error(
        cbc().decrypt(&empty),
        &DecryptError::CiphertextLength(0).into(),
    );
}

#[test]
fn plaintext_that_is_not_utf8() {
    let key = STANDARD.decode(KEY).unwrap();
    let not_utf8 = [0xff, 0xfe, 0x41];

    let iv = STANDARD.decode(GCM_IV).unwrap();
    let sealed = provider().aes_gcm.seal(&key, &iv, &key, &not_utf8).unwrap();
    let envelope = format!("v1${ID}${}", STANDARD.encode(sealed));
    assert_error(gcm().decrypt(&envelope), &DecryptError::Utf8.into());

    let iv = STANDARD.decode(CBC_IV).unwrap();
    let ciphertext = provider().aes_cbc.encrypt(&key, &iv, &not_utf8).unwrap();
    let mac = provider()
        .hmac_sha256
        .sign(KEY.as_bytes(), &not_utf8)
        .unwrap();
    let envelope = format!(
        "v1${ID}${}${}",
        STANDARD.encode(ciphertext),
        hex::encode(mac)
    );
    assert_error(cbc().decrypt(&envelope), &DecryptError::Utf8.into());
}

// --- serialized sessions -----------------------------------------------------------------

#[test]
fn serialized_session_with_the_wrong_number_of_parts() {
    assert_error(
        Session::deserialize_with_provider(&format!("v1${ID}$AES_GCM${KEY}"), provider()),
        &SessionFormatError::PartCount { found: 4 }.into(),
    );
}

#[test]
fn serialized_session_with_an_unsupported_version() {
    assert_error(
        Session::deserialize_with_provider(&format!("v2${ID}$AES_GCM${KEY}${GCM_IV}"), provider()),
        &SessionFormatError::Version.into(),
    );
}

#[test]
fn serialized_session_with_a_bad_id() {
    assert_error(
        Session::deserialize_with_provider(
            &format!("v1$not-a-uuid$AES_GCM${KEY}${GCM_IV}"),
            provider(),
        ),
        &SessionFormatError::SessionId.into(),
    );
}

#[test]
fn serialized_session_with_bad_base64() {
    assert_error(
        Session::deserialize_with_provider(&format!("v1${ID}$AES_GCM$%%%${GCM_IV}"), provider()),
        &SessionFormatError::Base64 { part: "secret key" }.into(),
    );
    assert_error(
        Session::deserialize_with_provider(&format!("v1${ID}$AES_GCM${KEY}$%%%"), provider()),
        &SessionFormatError::Base64 { part: "iv" }.into(),
    );
}

#[test]
fn serialized_session_with_an_unknown_algorithm() {
    assert_error(
        Session::deserialize_with_provider(&format!("v1${ID}$AES_CTR${KEY}${GCM_IV}"), provider()),
        &Error::UnknownAlgorithm,
    );
}

#[test]
fn key_and_iv_of_the_wrong_length() {
    let short_key = STANDARD.encode([7u8; 16]);
    assert_error(
        Session::deserialize_with_provider(
            &format!("v1${ID}$AES_GCM${short_key}${GCM_IV}"),
            provider(),
        ),
        &KeyMaterialError::KeyLength {
            algorithm: "AES_GCM",
            expected: "32",
            found: 16,
        }
        .into(),
    );
    let odd_key = STANDARD.encode([7u8; 24]);
    assert_error(
        Session::deserialize_with_provider(
            &format!("v1${ID}$AES_CBC${odd_key}${CBC_IV}"),
            provider(),
        ),
        &KeyMaterialError::KeyLength {
            algorithm: "AES_CBC",
            expected: "16 or 32",
            found: 24,
        }
        .into(),
    );
    assert_error(
        Session::deserialize_with_provider(&format!("v1${ID}$AES_GCM${KEY}${CBC_IV}"), provider()),
        &KeyMaterialError::IvLength {
            algorithm: "AES_GCM",
            expected: 12,
            found: 16,
        }
        .into(),
    );
    assert_error(
        Session::deserialize_with_provider(&format!("v1${ID}$AES_CBC${KEY}${GCM_IV}"), provider()),
        &KeyMaterialError::IvLength {
            algorithm: "AES_CBC",
            expected: 16,
            found: 12,
        }
        .into(),
    );
}

// --- RSA keys and session keys -----------------------------------------------------------

#[test]
fn public_key_that_is_neither_pem_nor_base64() {
    let result = SessionGenerator::builder()
        .public_key("%%% not a key")
        .crypto_provider(provider())
        .build();
    assert_error(result, &RsaKeyError::Encoding.into());
}

#[test]
fn public_key_pem_with_the_wrong_label() {
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
        support::text("test_public_key.b64")
    );
    let result = SessionGenerator::builder()
        .public_key(pem)
        .crypto_provider(provider())
        .build();
    assert_error(
        result,
        &RsaKeyError::PemLabel {
            expected: "PUBLIC KEY",
        }
        .into(),
    );
}

#[test]
fn public_key_that_is_not_rsa_der() {
    // Garbage, and a private key where a public one belongs.
    for key in [
        STANDARD.encode(b"definitely not DER"),
        support::text("test_private_key.b64"),
    ] {
        let result = SessionGenerator::builder()
            .public_key(key)
            .crypto_provider(provider())
            .build();
        let expected = RsaKeyError::Der {
            expected: "SubjectPublicKeyInfo",
        };
        assert_error(result, &expected.into());
    }
}

#[test]
fn public_key_that_is_too_small() {
    let result = SessionGenerator::builder()
        .public_key(support::text("rsa1024_public_key.b64"))
        .crypto_provider(provider())
        .build();
    assert_error(result, &RsaKeyError::TooSmall.into());
}

#[test]
fn private_key_that_is_not_pkcs8() {
    let result = SessionOpener::from_private_key_der(b"nope", provider());
    assert_error(result, &RsaKeyError::Der { expected: "PKCS#8" }.into());
}

#[test]
fn key_generation_of_an_unsupported_size() {
    assert_error(
        SessionOpener::generate_with_provider(1000, provider()),
        &RsaKeyError::Generate(1000).into(),
    );
}

#[test]
fn session_key_that_is_malformed() {
    let opener = test_key_opener();
    assert_error(
        opener.open("v1$abc"),
        &EnvelopeError::PartCount {
            expected: 3,
            found: 2,
        }
        .into(),
    );
    assert_error(
        opener.open(&format!("v9${ID}$AAAA")),
        &EnvelopeError::Version.into(),
    );
    assert_error(
        opener.open("v1$nope$AAAA"),
        &EnvelopeError::SessionId.into(),
    );
    assert_error(
        opener.open(&format!("v1${ID}$***")),
        &EnvelopeError::Base64 {
            part: "encrypted session key",
        }
        .into(),
    );
}

#[test]
fn session_key_sealed_for_another_key() {
    let session = SessionGenerator::builder()
        .crypto_provider(provider())
        .build()
        .unwrap()
        .generate()
        .unwrap();
    assert_error(
        test_key_opener().open(session.session_key()),
        &DecryptError::Oaep.into(),
    );
}

#[test]
fn session_key_whose_payload_is_not_alg_key_iv() {
    let public = provider()
        .rsa_oaep
        .public_key(
            &STANDARD
                .decode(support::text("test_public_key.b64"))
                .unwrap(),
        )
        .unwrap();
    let opener = test_key_opener();
    for payload in ["AES_GCM$only-two", "AES_GCM$%%%$%%%", "a$b$c$d"] {
        let sealed = public.encrypt(payload.as_bytes()).unwrap();
        let session_key = format!("v1${ID}${}", STANDARD.encode(sealed));
        assert_error(
            opener.open(&session_key),
            &DecryptError::SessionKeyPayload.into(),
        );
    }
    let sealed = public
        .encrypt(format!("DES${KEY}${GCM_IV}").as_bytes())
        .unwrap();
    assert_error(
        opener.open(&format!("v1${ID}${}", STANDARD.encode(sealed))),
        &Error::UnknownAlgorithm,
    );
}

#[test]
fn random_generator_failure() {
    // A script one byte short of what a session needs.
    let generator = SessionGenerator::builder()
        .public_key(support::text("test_public_key.b64"))
        .crypto_provider(support::scripted(provider(), vec![0; 16 + 32 + 11]))
        .build()
        .unwrap();
    assert_error(generator.generate_with(Algorithm::AesGcm), &Error::Random);
}

#[test]
fn debug_of_a_session_shows_only_id_and_algorithm() {
    let session = test_key_generator().generate().unwrap();
    let debug = format!("{:?}", session.session());
    assert_eq!(
        debug,
        format!(
            "Session {{ id: {:?}, algorithm: AesGcm, .. }}",
            session.id()
        )
    );
    // A new session shows its session key's length, never the key.
    let new = format!("{session:?}");
    assert!(new.contains(&debug), "{new}");
    assert!(!new.contains(&session.session_key()[10..40]), "{new}");
    let restored = cbc();
    assert!(!format!("{restored:?}").contains(KEY));
}

#[cfg(all(feature = "aws-lc", feature = "rustcrypto"))]
#[test]
fn two_backends_and_no_choice_is_a_config_error() {
    assert_error(SessionGenerator::new(), &Error::NoDefaultProvider);
    assert_error(
        Session::deserialize(&support::serialized(ID, "AES_GCM", KEY, GCM_IV)),
        &Error::NoDefaultProvider,
    );
    assert!(
        Error::NoDefaultProvider
            .to_string()
            .contains(".crypto_provider(")
    );
}

#[cfg(not(all(feature = "aws-lc", feature = "rustcrypto")))]
#[test]
fn one_backend_is_the_default() {
    assert!(SessionGenerator::new().is_ok());
    assert!(Session::deserialize(&support::serialized(ID, "AES_GCM", KEY, GCM_IV)).is_ok());
}
