//! Property tests: arbitrary text round-trips under every algorithm and backend, and no input
//! makes a parser panic.
#![cfg(any(feature = "aws-lc", feature = "rustcrypto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use toss_crypto::{Algorithm, CryptoProvider, Session, SessionGenerator, SessionOpener};

const ALGORITHMS: [Algorithm; 3] = [Algorithm::AesGcm, Algorithm::AesCbc, Algorithm::AesCbc128];

/// One session per backend and algorithm; RSA work is done once.
fn sessions() -> &'static Vec<(&'static str, Session)> {
    static SESSIONS: OnceLock<Vec<(&'static str, Session)>> = OnceLock::new();
    SESSIONS.get_or_init(|| {
        let mut all = Vec::new();
        for (name, provider) in support::providers() {
            let generator = generator(provider);
            for algorithm in ALGORITHMS {
                all.push((
                    name,
                    generator.generate_with(algorithm).unwrap().into_session(),
                ));
            }
        }
        all
    })
}

fn generator(provider: &'static CryptoProvider) -> SessionGenerator {
    SessionGenerator::builder()
        .public_key(support::text("test_public_key.b64"))
        .crypto_provider(provider)
        .build()
        .unwrap()
}

fn opener() -> &'static SessionOpener {
    static OPENER: OnceLock<SessionOpener> = OnceLock::new();
    OPENER.get_or_init(|| {
        let der = STANDARD
            .decode(support::text("test_private_key.b64"))
            .unwrap();
        SessionOpener::from_private_key_der(&der, support::providers()[0].1).unwrap()
    })
}

/// Strings shaped like our formats, so the fuzzing reaches past the first check.
fn envelope_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("v1".to_owned()),
        Just("v1_0.0.14".to_owned()),
        Just("b94ea687-0a72-43f8-be24-7be5029fa998".to_owned()),
        Just("AES_GCM".to_owned()),
        Just("AES_CBC".to_owned()),
        "[A-Za-z0-9+/]{0,64}={0,2}",
        "[0-9a-f]{0,70}",
        any::<String>(),
    ];
    prop::collection::vec(part, 0..7).prop_map(|parts| parts.join("$"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_round_trips(plaintext in any::<String>()) {
        for (backend, session) in sessions() {
            let envelope = session.encrypt(&plaintext).unwrap();
            prop_assert_eq!(&*session.decrypt(&envelope).unwrap(), &plaintext, "{} {:?}", backend, session.algorithm());
            let restored = Session::deserialize_with_provider(&session.serialize(), support::providers()[0].1).unwrap();
            prop_assert_eq!(&*restored.decrypt(&envelope).unwrap(), &plaintext);
        }
    }

    #[test]
    fn decrypt_never_panics(input in prop_oneof![any::<String>(), envelope_like()]) {
        for (_, session) in sessions() {
            let _ = session.decrypt(&input);
        }
    }

    #[test]
    fn decrypt_of_a_mutated_envelope_never_panics_and_never_returns_other_text(
        plaintext in "\\PC{0,40}",
        position in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        for (_, session) in sessions() {
            let envelope = session.encrypt(&plaintext).unwrap();
            let mut chars: Vec<char> = envelope.chars().collect();
            let at = position.index(chars.len());
            chars[at] = replacement;
            let mutated: String = chars.into_iter().collect();
            if let Ok(decrypted) = session.decrypt(&mutated) {
                prop_assert_eq!(&*decrypted, &plaintext);
            }
        }
    }

    #[test]
    fn deserialize_never_panics(input in prop_oneof![any::<String>(), envelope_like()]) {
        for (_, provider) in support::providers() {
            let _ = Session::deserialize_with_provider(&input, provider);
        }
    }

    #[test]
    fn open_never_panics(input in prop_oneof![any::<String>(), envelope_like()]) {
        let _ = opener().open(&input);
    }

    #[test]
    fn public_key_parsing_never_panics(input in prop_oneof![any::<String>(), "[A-Za-z0-9+/]{0,400}={0,2}"]) {
        for (_, provider) in support::providers() {
            let _ = SessionGenerator::builder().public_key(input.clone()).crypto_provider(provider).build();
        }
    }
}
