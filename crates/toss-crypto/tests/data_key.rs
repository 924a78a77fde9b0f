//! The application's data key: independent vectors, round trips, every error, rotation and
//! redaction, once per backend; and sealing on one backend, opening on the other.
#![cfg(any(feature = "aws-lc", feature = "rustcrypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use toss_crypto::{
    CryptoProvider, DataKey, DataKeyError, DataKeyRing, DecryptError, Error, SealedFormatError,
};

/// A fixed key for the error tests, and its base64.
const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const KEY_BASE64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const SECRET: &[u8] = "김토스 19930324".as_bytes();
const AAD: &[u8] = b"tx-1/personal-data";

/// The rows of `data_key.csv`: key, key id, nonce, AAD, plaintext, sealed.
fn vectors() -> Vec<[String; 6]> {
    let rows = support::csv_rows("data_key.csv", false);
    assert_eq!(rows.len(), 8);
    rows.into_iter()
        .map(|row| <[String; 6]>::try_from(row).unwrap())
        .collect()
}

/// Asserts the error and that neither its message nor its `Debug` quotes a secret.
#[track_caller]
fn assert_error<T: std::fmt::Debug>(result: Result<T, Error>, expected: &Error) {
    let error = result.expect_err("expected an error");
    assert_eq!(format!("{error:?}"), format!("{expected:?}"));
    let text = format!("{error} {error:?}");
    for secret in [KEY_BASE64, "0123456789abcdef", "김토스"] {
        assert!(!text.contains(secret), "{text} quotes its input");
    }
    assert!(
        text.chars().next().is_some_and(char::is_lowercase),
        "{text}"
    );
}

/// Flips one bit of the decoded payload at `index` and encodes it again.
fn tamper(sealed: &str, index: usize) -> String {
    let (head, payload) = sealed.rsplit_once('$').unwrap();
    let mut bytes = STANDARD.decode(payload).unwrap();
    bytes[index] ^= 0x01;
    format!("{head}${}", STANDARD.encode(bytes))
}

macro_rules! data_key_tests {
    ($backend:ident, $provider:expr) => {
        mod $backend {
            use super::*;

            const PROVIDER: &CryptoProvider = $provider;

            fn key() -> DataKey {
                DataKey::from_bytes_with_provider(&KEY, PROVIDER).unwrap()
            }

            #[test]
            fn independent_vectors_seal_and_open_byte_exact() {
                for (n, [key, key_id, nonce, aad, plain, sealed]) in
                    vectors().into_iter().enumerate()
                {
                    // The nonce comes from the provider's generator: script it.
                    let nonce = STANDARD.decode(nonce).unwrap();
                    let scripted = support::scripted(PROVIDER, nonce);
                    let data_key = DataKey::from_base64_with_provider(&key, scripted).unwrap();
                    assert_eq!(data_key.id(), key_id, "row {n}");
                    assert_eq!(
                        data_key.seal(plain.as_bytes(), aad.as_bytes()).unwrap(),
                        sealed,
                        "row {n}"
                    );
                    assert_eq!(
                        &*data_key.open(&sealed, aad.as_bytes()).unwrap(),
                        plain.as_bytes(),
                        "row {n}"
                    );
                    assert_eq!(*data_key.to_base64(), key, "row {n}");
                }
            }

            #[test]
            fn round_trip_with_a_fresh_nonce_each_time() {
                let key = key();
                for plaintext in [&b""[..], SECRET, &[0u8; 1], &vec![7u8; 100_000]] {
                    for aad in [&b""[..], AAD] {
                        let sealed = key.seal(plaintext, aad).unwrap();
                        let (prefix, payload) = sealed.rsplit_once('$').unwrap();
                        assert_eq!(prefix, format!("dk1${}", key.id()));
                        assert_eq!(
                            STANDARD.decode(payload).unwrap().len(),
                            12 + plaintext.len() + 16
                        );
                        assert_eq!(&*key.open(&sealed, aad).unwrap(), plaintext);
                        assert_ne!(key.seal(plaintext, aad).unwrap(), sealed, "nonce reused");
                    }
                }
            }

            #[test]
            fn the_derived_key_id_is_stable_and_an_explicit_one_replaces_it() {
                let key = key();
                assert_eq!(key.id().len(), 8);
                assert!(key.id().bytes().all(|b| b.is_ascii_hexdigit()));
                assert_eq!(
                    DataKey::from_base64_with_provider(KEY_BASE64, PROVIDER)
                        .unwrap()
                        .id(),
                    key.id()
                );
                let other = DataKey::generate_with_provider(PROVIDER).unwrap();
                assert_ne!(other.id(), key.id());
                assert_ne!(*other.to_base64(), KEY_BASE64);

                let named = key.clone().with_id("2026-12").unwrap();
                assert_eq!(named.id(), "2026-12");
                let sealed = named.seal(SECRET, AAD).unwrap();
                assert!(sealed.starts_with("dk1$2026-12$"), "{sealed}");
                assert_eq!(&*named.open(&sealed, AAD).unwrap(), SECRET);
                // The id is a name, not part of what is authenticated: the same key under
                // its derived id opens it once the name is changed back.
                let renamed = sealed.replacen("2026-12", key.id(), 1);
                assert_eq!(&*key.open(&renamed, AAD).unwrap(), SECRET);
                for bad in ["", "a$b", "with space", "키", &"x".repeat(33)] {
                    assert_error(key.clone().with_id(bad), &DataKeyError::KeyId.into());
                }
            }

            #[test]
            fn whitespace_around_the_base64_text_is_ignored() {
                let key = DataKey::from_base64_with_provider(&format!(" {KEY_BASE64}\n"), PROVIDER)
                    .unwrap();
                assert_eq!(key.id(), self::key().id());
            }

            #[test]
            fn a_key_of_the_wrong_length_or_encoding_is_refused() {
                for length in [0, 16, 31, 33, 64] {
                    assert_error(
                        DataKey::from_bytes_with_provider(&vec![1u8; length], PROVIDER),
                        &DataKeyError::Length(length).into(),
                    );
                    assert_error(
                        DataKey::from_base64_with_provider(
                            &STANDARD.encode(vec![1u8; length]),
                            PROVIDER,
                        ),
                        &DataKeyError::Length(length).into(),
                    );
                }
                for text in ["not base64!", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", "=="] {
                    assert_error(
                        DataKey::from_base64_with_provider(text, PROVIDER),
                        &DataKeyError::Base64.into(),
                    );
                }
            }

            #[test]
            fn wrong_aad_fails_authentication() {
                let key = key();
                let sealed = key.seal(SECRET, AAD).unwrap();
                for aad in [&b""[..], b"tx-2/personal-data", b"tx-1/personal-dat"] {
                    assert_error(key.open(&sealed, aad), &DecryptError::Tag.into());
                }
            }

            #[test]
            fn tampered_bytes_fail_authentication() {
                let key = key();
                let sealed = key.seal(SECRET, AAD).unwrap();
                let len = STANDARD.decode(sealed.rsplit_once('$').unwrap().1).unwrap().len();
                // In the nonce, the ciphertext and the tag.
                for index in [0, 11, 12, 12 + SECRET.len() - 1, len - 16, len - 1] {
                    assert_error(
                        key.open(&tamper(&sealed, index), AAD),
                        &DecryptError::Tag.into(),
                    );
                }
                // Another key under the same id.
                let impostor = DataKey::generate_with_provider(PROVIDER)
                    .unwrap()
                    .with_id(key.id())
                    .unwrap();
                assert_error(impostor.open(&sealed, AAD), &DecryptError::Tag.into());
            }

            #[test]
            fn malformed_sealed_text_is_refused_by_kind() {
                let key = key();
                let sealed = key.seal(SECRET, AAD).unwrap();
                let payload = sealed.rsplit_once('$').unwrap().1;
                let id = key.id();
                let cases: Vec<(String, Error)> = vec![
                    (String::new(), SealedFormatError::PartCount { found: 1 }.into()),
                    (format!("dk1${id}"), SealedFormatError::PartCount { found: 2 }.into()),
                    (format!("{sealed}$x"), SealedFormatError::PartCount { found: 4 }.into()),
                    (format!("dk2${id}${payload}"), SealedFormatError::Version.into()),
                    (format!("v1${id}${payload}"), SealedFormatError::Version.into()),
                    (format!("dk1$${payload}"), SealedFormatError::KeyId.into()),
                    (format!("dk1$a b${payload}"), SealedFormatError::KeyId.into()),
                    (format!("dk1${id}$not base64!"), SealedFormatError::Base64.into()),
                    (
                        format!("dk1${id}${}", STANDARD.encode([0u8; 27])),
                        SealedFormatError::Length(27).into(),
                    ),
                    (format!("dk1${id}$"), SealedFormatError::Length(0).into()),
                ];
                let ring = DataKeyRing::new(key.clone());
                for (text, expected) in cases {
                    assert_error(key.open(&text, AAD), &expected);
                    assert_error(ring.open(&text, AAD), &expected);
                }
                // Exactly a nonce and a tag: an empty plaintext's length, so it is tried.
                assert_error(
                    key.open(&format!("dk1${id}${}", STANDARD.encode([0u8; 28])), AAD),
                    &DecryptError::Tag.into(),
                );
            }

            #[test]
            fn an_unknown_key_id_is_its_own_error() {
                let key = key();
                let other = DataKey::generate_with_provider(PROVIDER).unwrap();
                let sealed = other.seal(SECRET, AAD).unwrap();
                assert_error(key.open(&sealed, AAD), &Error::UnknownDataKey);
                let ring = DataKeyRing::new(key);
                assert_error(ring.open(&sealed, AAD), &Error::UnknownDataKey);
                assert!(ring.key(other.id()).is_none());
            }

            #[test]
            fn rotation_seals_under_the_current_key_and_opens_old_data() {
                let old = key();
                let older = DataKey::generate_with_provider(PROVIDER).unwrap();
                let sealed_older = older.seal(b"older", AAD).unwrap();
                let sealed_old = old.seal(SECRET, AAD).unwrap();

                let new = DataKey::generate_with_provider(PROVIDER).unwrap();
                let ring = DataKeyRing::new(new.clone())
                    .with_previous(old.clone())
                    .unwrap()
                    .with_previous(older.clone())
                    .unwrap();
                assert_eq!(ring.current().id(), new.id());
                let ids: Vec<&str> = ring.keys().map(DataKey::id).collect();
                assert_eq!(ids, [new.id(), old.id(), older.id()]);

                assert_eq!(&*ring.open(&sealed_old, AAD).unwrap(), SECRET);
                assert_eq!(&*ring.open(&sealed_older, AAD).unwrap(), b"older");
                assert!(!ring.is_current(&sealed_old).unwrap());

                let sealed_new = ring.seal(SECRET, AAD).unwrap();
                assert!(sealed_new.starts_with(&format!("dk1${}$", new.id())));
                assert!(ring.is_current(&sealed_new).unwrap());
                assert_eq!(&*new.open(&sealed_new, AAD).unwrap(), SECRET);
                // The old key alone does not know the new one.
                assert_error(old.open(&sealed_new, AAD), &Error::UnknownDataKey);
                assert_error(
                    ring.is_current("dk1$x"),
                    &SealedFormatError::PartCount { found: 2 }.into(),
                );

                // Once the old keys are dropped from the ring, their data is unknown.
                let trimmed = DataKeyRing::new(new);
                assert_error(trimmed.open(&sealed_old, AAD), &Error::UnknownDataKey);
            }

            #[test]
            fn a_ring_refuses_two_keys_with_one_id() {
                let key = key();
                assert_error(
                    DataKeyRing::new(key.clone()).with_previous(key.clone()),
                    &DataKeyError::DuplicateKeyId.into(),
                );
                let other = DataKey::generate_with_provider(PROVIDER)
                    .unwrap()
                    .with_id(key.id())
                    .unwrap();
                assert_error(
                    DataKeyRing::new(key).with_previous(other),
                    &DataKeyError::DuplicateKeyId.into(),
                );
            }

            #[test]
            fn debug_shows_the_key_id_only() {
                let key = key();
                let ring = DataKeyRing::new(key.clone())
                    .with_previous(DataKey::generate_with_provider(PROVIDER).unwrap())
                    .unwrap();
                for text in [
                    format!("{key:?}"),
                    format!("{key:#?}"),
                    format!("{ring:?}"),
                    format!("{ring:#?}"),
                ] {
                    assert!(text.contains(key.id()), "{text}");
                    for secret in [
                        KEY_BASE64.to_owned(),
                        "0123456789abcdef".to_owned(),
                        hex::encode(KEY),
                        format!("{:?}", KEY),
                        format!("{:?}", &KEY[..4]),
                    ] {
                        assert!(!text.contains(&secret), "{text} shows the key");
                    }
                    for other in ring.keys() {
                        assert!(!text.contains(other.to_base64().as_str()), "{text}");
                    }
                }
            }
        }
    };
}

#[cfg(feature = "aws-lc")]
data_key_tests!(aws_lc, &toss_crypto::backend::aws_lc::PROVIDER);

#[cfg(feature = "rustcrypto")]
data_key_tests!(rust_crypto, &toss_crypto::backend::rust_crypto::PROVIDER);

#[test]
fn the_default_provider_is_the_one_backend_or_none() {
    let result = DataKey::from_base64(KEY_BASE64);
    match CryptoProvider::from_crate_features() {
        Some(provider) => {
            let key = result.unwrap();
            let explicit = DataKey::from_bytes_with_provider(&KEY, provider).unwrap();
            assert_eq!(key.id(), explicit.id());
            assert_eq!(DataKey::from_bytes(&KEY).unwrap().id(), key.id());
            assert!(DataKey::generate().is_ok());
        }
        None => {
            assert_error(result, &Error::NoDefaultProvider);
            assert_error(DataKey::from_bytes(&KEY), &Error::NoDefaultProvider);
            assert_error(DataKey::generate(), &Error::NoDefaultProvider);
        }
    }
}

/// Sealed on one backend, opened on the other, both ways, with the same derived key id.
#[cfg(all(feature = "aws-lc", feature = "rustcrypto"))]
#[test]
fn sealed_on_one_backend_opens_on_the_other() {
    let aws_lc = &toss_crypto::backend::aws_lc::PROVIDER;
    let rust_crypto = &toss_crypto::backend::rust_crypto::PROVIDER;
    let generated = DataKey::generate_with_provider(aws_lc).unwrap();
    for bytes in [
        KEY.to_vec(),
        STANDARD.decode(&*generated.to_base64()).unwrap(),
    ] {
        let a = DataKey::from_bytes_with_provider(&bytes, aws_lc).unwrap();
        let r = DataKey::from_bytes_with_provider(&bytes, rust_crypto).unwrap();
        assert_eq!(a.id(), r.id());
        for plaintext in [&b""[..], SECRET, &vec![3u8; 5000]] {
            let sealed = a.seal(plaintext, AAD).unwrap();
            assert_eq!(&*r.open(&sealed, AAD).unwrap(), plaintext);
            let sealed = r.seal(plaintext, AAD).unwrap();
            assert_eq!(&*a.open(&sealed, AAD).unwrap(), plaintext);
            // A ring may mix backends too.
            let ring = DataKeyRing::new(DataKey::generate_with_provider(rust_crypto).unwrap())
                .with_previous(a.clone())
                .unwrap();
            assert_eq!(&*ring.open(&sealed, AAD).unwrap(), plaintext);
        }
        // And a tampered text fails on both.
        let sealed = tamper(&a.seal(SECRET, AAD).unwrap(), 20);
        assert_error(r.open(&sealed, AAD), &DecryptError::Tag.into());
        assert_error(a.open(&sealed, AAD), &DecryptError::Tag.into());
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn key() -> DataKey {
        DataKey::from_bytes_with_provider(&KEY, support::providers()[0].1).unwrap()
    }

    proptest! {
        #[test]
        fn any_bytes_round_trip_on_every_backend(
            plaintext in proptest::collection::vec(any::<u8>(), 0..512),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            for (name, provider) in support::providers() {
                let key = DataKey::from_bytes_with_provider(&KEY, provider).unwrap();
                let sealed = key.seal(&plaintext, &aad).unwrap();
                prop_assert_eq!(&*key.open(&sealed, &aad).unwrap(), &plaintext[..], "{}", name);
            }
        }

        #[test]
        fn no_string_makes_open_panic(text in ".*") {
            let _ = key().open(&text, AAD);
            let _ = DataKeyRing::new(key()).is_current(&text);
        }

        #[test]
        fn no_prefixed_string_makes_open_panic(rest in "[A-Za-z0-9+/=$]{0,80}") {
            let key = key();
            let _ = key.open(&format!("dk1${}${rest}", key.id()), AAD);
        }

        #[test]
        fn no_key_text_makes_parsing_panic(text in ".*") {
            let _ = DataKey::from_base64_with_provider(&text, support::providers()[0].1);
        }
    }
}
