#!/usr/bin/env bash
# Regenerates the `openssl_*` fixtures of this folder with the OpenSSL command line.
#
# Run it by hand, once, when a fixture must change; the tests only read the committed
# outputs and never need OpenSSL. Every run makes new keys, so every output changes.
# Made with OpenSSL 3.0. Usage: bash crates/toss-signed-doc/tests/data/regen.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

subject_base="/C=KR/O=toss-signed-doc tests"

# A root CA, an intermediate CA under it, and an unrelated root CA.
ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
signer_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
printf '%s\n' "$ca_ext" > "$tmp/ca.ext"
printf '%s\n' "$signer_ext" > "$tmp/signer.ext"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/root.key" -out openssl_root_ca.pem \
  -subj "$subject_base/CN=Test Root CA" -days 36500 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" -out openssl_other_root_ca.pem \
  -subj "$subject_base/CN=Unrelated Root CA" -days 36500 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/inter.key" -out "$tmp/inter.csr" \
  -subj "$subject_base/CN=Test Intermediate CA"
openssl x509 -req -in "$tmp/inter.csr" -CA openssl_root_ca.pem -CAkey "$tmp/root.key" \
  -set_serial 2 -days 36500 -sha256 -extfile "$tmp/ca.ext" -out openssl_intermediate_ca.pem

# The signer: a Korean UTF-8 common name, RSA-2048, issued by the intermediate.
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/signer.key" -out "$tmp/signer.csr" \
  -utf8 -subj "$subject_base/OU=Toss Cert/CN=홍길동"
openssl x509 -req -in "$tmp/signer.csr" -CA openssl_intermediate_ca.pem -CAkey "$tmp/inter.key" \
  -set_serial 0x0123456789abcdef -days 36500 -sha256 -extfile "$tmp/signer.ext" \
  -out openssl_signer.pem

# A second RSA signer, for a SignedData with two SignerInfos.
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/second.key" -out "$tmp/second.csr" \
  -utf8 -subj "$subject_base/CN=김토스"
openssl x509 -req -in "$tmp/second.csr" -CA openssl_intermediate_ca.pem -CAkey "$tmp/inter.key" \
  -set_serial 4 -days 36500 -sha256 -extfile "$tmp/signer.ext" -out "$tmp/second.pem"

# An ECDSA P-256 signer.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ec.key" \
  -out "$tmp/ec.csr" -utf8 -subj "$subject_base/CN=이순신"
openssl x509 -req -in "$tmp/ec.csr" -CA openssl_intermediate_ca.pem -CAkey "$tmp/inter.key" \
  -set_serial 5 -days 36500 -sha256 -extfile "$tmp/signer.ext" -out "$tmp/ec.pem"

# A signer whose certificate expired long before anything here was signed (`openssl ca`
# is the 3.0 way to set exact validity dates).
mkdir -p "$tmp/ca/newcerts"
: > "$tmp/ca/index.txt"
echo 06 > "$tmp/ca/serial"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $tmp/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
copy_extensions = none
[any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[signer_ext]
$signer_ext
CNF
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/expired.key" -out "$tmp/expired.csr" \
  -utf8 -subj "$subject_base/CN=유관순"
openssl ca -batch -config "$tmp/ca.cnf" -utf8 -cert openssl_intermediate_ca.pem \
  -keyfile "$tmp/inter.key" -in "$tmp/expired.csr" -out "$tmp/expired.pem" -notext \
  -startdate 20200101000000Z -enddate 20210101000000Z -extensions signer_ext

# The documents: a one-line Korean text (no trailing newline), a text of several lines,
# and a small fake PDF with binary bytes.
printf '%s' '위 내용을 확인하였으며 전자서명에 동의합니다.' > openssl_doc.txt
printf '%s\n' '제1조 (목적) 이 약관은 테스트용입니다.' 'Line two, ASCII.' '마지막 줄' > openssl_doc_multiline.txt
{
  printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
  printf '2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n'
  printf 'stream\n\x00\x01\x02\xff\xfe\r\n\x80binary\nendstream\n'
  printf 'trailer\n<< /Root 1 0 R >>\n%%%%EOF\n'
} > openssl_fake.pdf

sign() { # sign <output> <input> <openssl cms options...>
  local out=$1 in=$2
  shift 2
  openssl cms -sign -in "$in" -outform DER -out "$tmp/out.der" "$@"
  base64 -w0 "$tmp/out.der" > "$out"
}
rsa_signer=(-signer openssl_signer.pem -inkey "$tmp/signer.key" -certfile openssl_intermediate_ca.pem)

# Like the provider's PKCS7: the text embedded (S/MIME canonical line endings are a no-op on
# a one-line text).
sign openssl_attached_sha256.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha256 -nodetach
# A multi-line text embedded byte for byte.
sign openssl_attached_binary_sha256.b64 openssl_doc_multiline.txt "${rsa_signer[@]}" -md sha256 -nodetach -binary
sign openssl_attached_sha384.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha384 -nodetach -binary
# Like the provider's PKCS7_NO_CONTENT_WITH_ATTR: detached, over a PDF.
sign openssl_detached_pdf_sha256.b64 openssl_fake.pdf "${rsa_signer[@]}" -md sha256 -binary
sign openssl_detached_pdf_sha512.b64 openssl_fake.pdf "${rsa_signer[@]}" -md sha512 -binary
# The signer named by subjectKeyIdentifier rather than issuerAndSerialNumber.
sign openssl_attached_keyid.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha256 -nodetach -binary -keyid
# Only the signer's certificate, without the intermediate.
sign openssl_attached_no_intermediate.b64 openssl_doc.txt -signer openssl_signer.pem \
  -inkey "$tmp/signer.key" -md sha256 -nodetach -binary

# What must be refused.
sign openssl_rsa_pss.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha256 -nodetach -binary \
  -keyopt rsa_padding_mode:pss
sign openssl_ecdsa.b64 openssl_doc.txt -signer "$tmp/ec.pem" -inkey "$tmp/ec.key" \
  -certfile openssl_intermediate_ca.pem -md sha256 -nodetach -binary
sign openssl_sha1.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha1 -nodetach -binary
sign openssl_no_signed_attributes.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha256 -nodetach \
  -binary -noattr
sign openssl_no_certificates.b64 openssl_doc.txt "${rsa_signer[@]}" -md sha256 -nodetach -binary \
  -nocerts
sign openssl_two_signers.b64 openssl_doc.txt "${rsa_signer[@]}" -signer "$tmp/second.pem" \
  -inkey "$tmp/second.key" -md sha256 -nodetach -binary
sign openssl_expired_signer.b64 openssl_doc.txt -signer "$tmp/expired.pem" -inkey "$tmp/expired.key" \
  -certfile openssl_intermediate_ca.pem -md sha256 -nodetach -binary

# Sanity: OpenSSL itself verifies what must verify.
for f in openssl_attached_sha256 openssl_attached_binary_sha256 openssl_attached_sha384 openssl_attached_keyid; do
  base64 -d "$f.b64" > "$tmp/check.der"
  openssl cms -verify -inform DER -in "$tmp/check.der" -CAfile openssl_root_ca.pem -binary -out /dev/null
done
for f in openssl_detached_pdf_sha256 openssl_detached_pdf_sha512; do
  base64 -d "$f.b64" > "$tmp/check.der"
  openssl cms -verify -inform DER -in "$tmp/check.der" -CAfile openssl_root_ca.pem -binary \
    -content openssl_fake.pdf -out /dev/null
done
echo "fixtures regenerated"
