//! Reading RSA keys given as PEM or base64 DER text, and the provider's embedded key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::RsaKeyError;

/// The provider's RSA-4096 public key (base64 DER `SubjectPublicKeyInfo`), as published in
/// the Toss Cert documentation; the default for [`SessionGenerator`](crate::SessionGenerator).
pub const TOSS_CERT_PUBLIC_KEY: &str = "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAoVdxG0Qi9pip46Jw9ImSlPVD8+L2mM47ey6EZna7D7utgNdh8Tzkjrm1Yl4h6kPJrhdWvMIJGS51+6dh041IXcJEoUquNblUEqAUXBYwQM8PdfnS12SjlvZrP4q6whBE7IV1SEIBJP0gSK5/8Iu+uld2ctJiU4p8uswL2bCPGWdvVPltxAg6hfAG/ImRUKPRewQsFhkFvqIDCpO6aeaR10q6wwENZltlJeeRnl02VWSneRmPqqypqCxz0Y+yWCYtsA+ngfZmwRMaFkXcWjaWnvSqqV33OAsrQkvuBHWoEEkvQ0P08+h9Fy2+FhY9TeuukQ2CVFz5YyOhp25QtWyQI+IaDKk+hLxJ1APR0c3tmV0ANEIjO6HhJIdu2KQKtgFppvqSrZp2OKtI8EZgVbWuho50xvlaPGzWoMi9HSCb+8ARamlOpesxHH3O0cTRUnft2Zk1FHQb2Pidb2z5onMEnzP2xpTqAIVQyb6nMac9tof5NFxwR/c4pmci+1n8GFJIFN18j2XGad1mNyio/R8LabqnzNwJC6VPnZJz5/pDUIk9yKNOY0KJe64SRiL0a4SNMohtyj6QlA/3SGxaEXb8UHpophv4G9wN1CgfyUamsRqp8zo5qDxBvlaIlfkqJvYPkltj7/23FHDjPi8q8UkSiAeu7IV5FTfB5KsiN8+sGSMCAwEAAQ==";

/// Decodes a key given as PEM (with `label`) or as base64 DER, ignoring white space.
///
/// Written here rather than with a PEM crate because the provider and its users pass keys as
/// one unwrapped base64 line, which strict RFC 7468 decoders refuse.
pub(crate) fn decode_key_text(
    text: &str,
    label: &'static str,
) -> Result<Zeroizing<Vec<u8>>, RsaKeyError> {
    let text = text.trim();
    let body: Zeroizing<String> = if text.starts_with("-----BEGIN ") {
        let mut lines = text.lines().map(str::trim);
        let begin = lines.next().unwrap_or_default();
        if begin != format!("-----BEGIN {label}-----") {
            return Err(RsaKeyError::PemLabel { expected: label });
        }
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::with_capacity(text.len()));
        let mut ended = false;
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            body.push_str(line);
        }
        if !ended {
            return Err(RsaKeyError::PemLabel { expected: label });
        }
        body
    } else {
        Zeroizing::new(text.split_whitespace().collect())
    };
    STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| RsaKeyError::Encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_base64_decode_to_the_same_der() {
        let wrapped: Vec<String> = TOSS_CERT_PUBLIC_KEY
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            wrapped.join("\n")
        );
        let one_line =
            format!("-----BEGIN PUBLIC KEY-----\n{TOSS_CERT_PUBLIC_KEY}\n-----END PUBLIC KEY-----");
        let a = decode_key_text(&pem, "PUBLIC KEY").unwrap();
        let b = decode_key_text(&one_line, "PUBLIC KEY").unwrap();
        let c = decode_key_text(TOSS_CERT_PUBLIC_KEY, "PUBLIC KEY").unwrap();
        assert_eq!(*a, *c);
        assert_eq!(*b, *c);
    }

    #[test]
    fn wrong_label_and_unterminated_pem_are_refused() {
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{TOSS_CERT_PUBLIC_KEY}\n-----END PRIVATE KEY-----"
        );
        assert_eq!(
            decode_key_text(&pem, "PUBLIC KEY"),
            Err(RsaKeyError::PemLabel {
                expected: "PUBLIC KEY"
            })
        );
        let open = format!("-----BEGIN PUBLIC KEY-----\n{TOSS_CERT_PUBLIC_KEY}\n");
        assert!(decode_key_text(&open, "PUBLIC KEY").is_err());
    }

    #[test]
    fn non_base64_is_an_encoding_error() {
        assert_eq!(
            decode_key_text("not a key!", "PUBLIC KEY"),
            Err(RsaKeyError::Encoding)
        );
    }
}
