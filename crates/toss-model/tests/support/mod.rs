//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deserializes `text` as `T`, serializes it back, and asserts that both are the same JSON value.
#[track_caller]
pub fn round_trip<T: Serialize + DeserializeOwned>(text: &str) -> T {
    let parsed: T = serde_json::from_str(text).expect("fixture deserializes");
    let written = serde_json::to_value(&parsed).expect("value serializes");
    let original: Value = serde_json::from_str(text).expect("fixture is JSON");
    assert_eq!(written, original, "serialized form differs from the input");
    parsed
}

/// Serializes `value` and parses the text back as the same type.
#[track_caller]
pub fn reparse<T: Serialize + DeserializeOwned>(value: &T) -> T {
    let text = serde_json::to_string(value).expect("value serializes");
    serde_json::from_str(&text).expect("own output deserializes")
}

pub const ENVELOPE_A: &str =
    "v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$aMC2MHpP/6SoHGqBj1uJVOeyhgI1Dkvu5g==";
pub const ENVELOPE_B: &str =
    "v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$skgG78TkJiUU2M2UX67/1X5TgbupaWaNuwqp";
pub const ENVELOPE_C: &str =
    "v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$s0AP78LmJClNV/o9HOFO7K0nj+5p7uT1";
pub const SESSION_KEY: &str =
    "v1$e6bddc20-6858-4a8d-b06c-7a3f8461c7a3$HI6ndcW/hT0wAycPfCKGFbo+MXH7HVs0bxUCRa2JyECu";
