//! Known-answer tests: the provider's own vectors and independent CBC vectors, run once per
//! backend.
#![cfg(any(feature = "aws-lc", feature = "rustcrypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

macro_rules! vector_tests {
    ($backend:ident, $provider:expr) => {
        mod $backend {
            use super::*;
            use toss_crypto::{Algorithm, CryptoProvider, Session, SessionGenerator, SessionOpener};

            const PROVIDER: &CryptoProvider = $provider;

            fn test_opener() -> SessionOpener {
                let der = STANDARD.decode(support::text("test_private_key.b64")).unwrap();
                SessionOpener::from_private_key_der(&der, PROVIDER).unwrap()
            }

            #[test]
            fn aes_gcm_provider_vectors_all_100_rows_both_ways() {
                let rows = support::csv_rows("aes_gcm.csv", false);
                assert_eq!(rows.len(), 100);
                for (n, row) in rows.iter().enumerate() {
                    let [id, key, iv, plain, encrypted] = &row[..] else {
                        panic!("row {n}: {row:?}");
                    };
                    let session = Session::deserialize_with_provider(
                        &support::serialized(id, "AES_GCM", key, iv),
                        PROVIDER,
                    )
                    .unwrap();
                    assert_eq!(session.encrypt(plain).unwrap(), *encrypted, "encrypt row {n}");
                    assert_eq!(*session.decrypt(encrypted).unwrap(), *plain, "decrypt row {n}");
                }
            }

            #[test]
            fn rsa_session_provider_vectors_all_100_rows_open_with_test_key() {
                let opener = test_opener();
                let rows = support::csv_rows("rsa_session.csv", false);
                assert_eq!(rows.len(), 100);
                for (n, row) in rows.iter().enumerate() {
                    let [id, key, iv, session_key] = &row[..] else {
                        panic!("row {n}: {row:?}");
                    };
                    let session = opener.open(session_key).unwrap();
                    assert_eq!(session.id(), id, "row {n}");
                    assert_eq!(session.algorithm(), Algorithm::AesGcm, "row {n}");
                    assert_eq!(
                        *session.serialize(),
                        support::serialized(id, "AES_GCM", key, iv),
                        "row {n}"
                    );
                }
            }

            #[test]
            fn generated_session_keys_match_the_provider_vectors() {
                // With the RNG scripted to the row's id, key and IV, a generated session key
                // equals the provider's in its first 40 characters (`v1$<id>$`; RSA-OAEP is
                // randomised) and opens to the same payload.
                let public_key = support::text("test_public_key.b64");
                let opener = test_opener();
                let rows = support::csv_rows("rsa_session.csv", false);
                assert_eq!(rows.len(), 100);
                for (n, row) in rows.iter().enumerate() {
                    let [id, key, iv, provider_session_key] = &row[..] else {
                        panic!("row {n}: {row:?}");
                    };
                    let mut script = uuid::Uuid::parse_str(id).unwrap().as_bytes().to_vec();
                    script.extend(STANDARD.decode(key).unwrap());
                    script.extend(STANDARD.decode(iv).unwrap());
                    let generator = SessionGenerator::builder()
                        .public_key(public_key.clone())
                        .crypto_provider(support::scripted(PROVIDER, script))
                        .build()
                        .unwrap();
                    let session = generator.generate().unwrap();
                    let session_key = session.session_key();
                    assert_eq!(&session_key[..40], &provider_session_key[..40], "row {n}");
                    assert_eq!(session_key.len(), provider_session_key.len(), "row {n}");
                    assert_eq!(
                        *opener.open(session_key).unwrap().serialize(),
                        support::serialized(id, "AES_GCM", key, iv),
                        "row {n}"
                    );
                }
            }

            #[test]
            fn aes_cbc_independent_vectors_both_ways() {
                let rows = support::csv_rows("aes_cbc.csv", true);
                assert_eq!(rows.len(), 26);
                for (n, row) in rows.iter().enumerate() {
                    let [bits, id, key, iv, plain, encrypted] = &row[..] else {
                        panic!("row {n}: {row:?}");
                    };
                    let session = Session::deserialize_with_provider(
                        &support::serialized(id, "AES_CBC", key, iv),
                        PROVIDER,
                    )
                    .unwrap();
                    let expected = if bits == "128" { Algorithm::AesCbc128 } else { Algorithm::AesCbc };
                    assert_eq!(session.algorithm(), expected, "row {n}");
                    assert_eq!(session.encrypt(plain).unwrap(), *encrypted, "encrypt row {n}");
                    assert_eq!(*session.decrypt(encrypted).unwrap(), *plain, "decrypt row {n}");
                }
            }

            #[test]
            fn serialized_sessions_round_trip_unchanged() {
                let java = "v1_0.0.14$b94ea687-0a72-43f8-be24-7be5029fa998$AES_GCM$KxHeNnbiR5Eh5d/9KJCN6jUW5Md9nkk8jU6WbkmR7Es=$jbZIV4aBzrydN0IP";
                let session = Session::deserialize_with_provider(java, PROVIDER).unwrap();
                assert_eq!(session.version(), "v1_0.0.14");
                assert_eq!(*session.serialize(), java);
                // A session keeps the token it was stored with in what it writes.
                assert!(session.encrypt("x").unwrap().starts_with("v1_0.0.14$b94ea687-"));
            }

            #[test]
            fn every_algorithm_round_trips_through_the_test_key_pair() {
                let generator = SessionGenerator::builder()
                    .public_key(support::text("test_public_key.b64"))
                    .crypto_provider(PROVIDER)
                    .build()
                    .unwrap();
                let opener = test_opener();
                for algorithm in [Algorithm::AesGcm, Algorithm::AesCbc, Algorithm::AesCbc128] {
                    let client = generator.generate_with(algorithm).unwrap();
                    let server = opener.open(client.session_key()).unwrap();
                    assert_eq!(server.algorithm(), algorithm);
                    assert_eq!(*server.serialize(), *client.serialize());
                    let sealed = server.encrypt("CI0110000000001").unwrap();
                    assert_eq!(*client.decrypt(&sealed).unwrap(), "CI0110000000001");
                }
            }
        }
    };
}

#[cfg(feature = "aws-lc")]
vector_tests!(aws_lc, &toss_crypto::backend::aws_lc::PROVIDER);
#[cfg(feature = "rustcrypto")]
vector_tests!(rust_crypto, &toss_crypto::backend::rust_crypto::PROVIDER);

#[cfg(all(feature = "aws-lc", feature = "rustcrypto"))]
mod cross_backend {
    use toss_crypto::backend::{aws_lc, rust_crypto};
    use toss_crypto::{Algorithm, Session, SessionGenerator, SessionOpener};

    #[test]
    fn what_one_backend_seals_the_other_opens() {
        let pairs = [
            (&aws_lc::PROVIDER, &rust_crypto::PROVIDER),
            (&rust_crypto::PROVIDER, &aws_lc::PROVIDER),
        ];
        for (sealer, opener_provider) in pairs {
            let opener = SessionOpener::generate_with_provider(2048, opener_provider).unwrap();
            let generator = SessionGenerator::builder()
                .public_key_der(opener.public_key_der().unwrap())
                .crypto_provider(sealer)
                .build()
                .unwrap();
            for algorithm in [Algorithm::AesGcm, Algorithm::AesCbc, Algorithm::AesCbc128] {
                let client = generator.generate_with(algorithm).unwrap();
                let envelope = client.encrypt("토스 인증서").unwrap();
                let server = opener.open(client.session_key()).unwrap();
                assert_eq!(*server.decrypt(&envelope).unwrap(), "토스 인증서");
                let restored =
                    Session::deserialize_with_provider(&client.serialize(), opener_provider)
                        .unwrap();
                assert_eq!(
                    restored.encrypt("same bytes").unwrap(),
                    client.encrypt("same bytes").unwrap()
                );
            }
        }
    }
}
