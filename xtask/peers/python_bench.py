"""The six operations of `tosscert bench` with Python's `cryptography` (OpenSSL).

Keep in step with crates/toss-cli/src/bench_cmd.rs and xtask/peers/node_bench.js: same inputs,
same work, same measurement (a warm-up of a fifth of the time, then batches of about 5 ms; the
median of the batches' ns per operation).

verify_signed_doc starts from the DER (open_result decodes the base64). It is not a full CMS
verification: `cryptography` cannot verify PKCS#7. It walks
the DER just enough to find the signed attributes, the messageDigest, the signature and the
signer certificate, parses that certificate (x509.load_der_x509_certificate), checks the
content digest, the validity at the signing time and the RSA signature. It names the signer
by position, not by issuer and serial number, and checks no algorithm identifiers.

Prints one JSON object: {"<operation>": {"ns_per_op": <float>, "ops": <int>}, ...}.
Usage: python3 python_bench.py [seconds per operation] [operation]
"""

import base64
import datetime
import hashlib
import json
import os
import sys
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import load_der_public_key

PROVIDER_KEY = (
    "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAoVdxG0Qi9pip46Jw9ImSlPVD8+L2mM47ey6EZna7D7ut"
    "gNdh8Tzkjrm1Yl4h6kPJrhdWvMIJGS51+6dh041IXcJEoUquNblUEqAUXBYwQM8PdfnS12SjlvZrP4q6whBE7IV1"
    "SEIBJP0gSK5/8Iu+uld2ctJiU4p8uswL2bCPGWdvVPltxAg6hfAG/ImRUKPRewQsFhkFvqIDCpO6aeaR10q6wwEN"
    "ZltlJeeRnl02VWSneRmPqqypqCxz0Y+yWCYtsA+ngfZmwRMaFkXcWjaWnvSqqV33OAsrQkvuBHWoEEkvQ0P08+h9"
    "Fy2+FhY9TeuukQ2CVFz5YyOhp25QtWyQI+IaDKk+hLxJ1APR0c3tmV0ANEIjO6HhJIdu2KQKtgFppvqSrZp2OKtI"
    "8EZgVbWuho50xvlaPGzWoMi9HSCb+8ARamlOpesxHH3O0cTRUnft2Zk1FHQb2Pidb2z5onMEnzP2xpTqAIVQyb6n"
    "Mac9tof5NFxwR/c4pmci+1n8GFJIFN18j2XGad1mNyio/R8LabqnzNwJC6VPnZJz5/pDUIk9yKNOY0KJe64SRiL0"
    "a4SNMohtyj6QlA/3SGxaEXb8UHpophv4G9wN1CgfyUamsRqp8zo5qDxBvlaIlfkqJvYPkltj7/23FHDjPi8q8UkS"
    "iAeu7IV5FTfB5KsiN8+sGSMCAwEAAQ=="
)
PUBLIC_KEY = load_der_public_key(base64.b64decode(PROVIDER_KEY))
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "crates", "toss-cli", "src", "bench_cmd")
with open(os.path.join(FIXTURES, "seed_sign_result.signed_doc.b64"), encoding="ascii") as f:
    SIGNED_DOC_B64 = f.read().strip()
with open(os.path.join(FIXTURES, "seed_sign_result.doc.txt"), encoding="utf-8") as f:
    SIGNED_DOC_TEXT = f.read()
CI = "y7JJr0BcDnVTVdOu4LXhiJRuBihV2Vp9NOzbox7WHxpiQa0PRyCVcyWgFVan7BJIg6pJ4QxdPEs2BX4XXkbVFw=="
DI = "CNxKLhUklY+cfAggWGRLRo8C2/gnLOV3tZNszSEBVwubHsdx1ndZ02KY5/bD3DaL"
NAME = "김토스"


class Session:
    """A session: id, key, IV, and the sealed session key."""

    def __init__(self):
        self.id = str(uuid.uuid4())
        self.key = os.urandom(32)
        self.iv = os.urandom(12)
        payload = "AES_GCM$%s$%s" % (
            base64.b64encode(self.key).decode(),
            base64.b64encode(self.iv).decode(),
        )
        sealed = PUBLIC_KEY.encrypt(payload.encode(), OAEP)
        self.session_key = "v1$%s$%s" % (self.id, base64.b64encode(sealed).decode())

    def encrypt(self, plaintext):
        """v1$<id>$<base64(ciphertext ‖ tag)>, AES-256-GCM, AAD = the raw key."""
        body = AESGCM(self.key).encrypt(self.iv, plaintext.encode(), self.key)
        return "v1$%s$%s" % (self.id, base64.b64encode(body).decode())

    def decrypt(self, envelope):
        parts = envelope.split("$")
        if len(parts) != 3 or parts[0] != "v1" or parts[1] != self.id:
            raise ValueError("foreign envelope")
        data = base64.b64decode(parts[2], validate=True)
        return AESGCM(self.key).decrypt(self.iv, data, self.key).decode()


def prepare_sign_request():
    session = Session()
    return json.dumps(
        {
            "requestType": "USER_PERSONAL",
            "triggerType": "PUSH",
            "userName": session.encrypt(NAME),
            "userPhone": session.encrypt("010-1234-5678".replace("-", "").replace(" ", "")),
            "userBirthday": session.encrypt("19930324"),
            "sessionKey": session.session_key,
            "serviceName": "토스 출금이체",
            "docTitle": "출금이체 동의문",
            "doc": SIGNED_DOC_TEXT,
            "docType": "TEXT",
            "docEncrypted": False,
            "signatureType": "PKCS7",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def open_result(result, session):
    data = result["personalData"]
    birthday = session.decrypt(data["birthday"])
    return {
        "txId": result["txId"],
        "doc": result["doc"],
        "signedDoc": base64.b64decode(result["signedDoc"], validate=True),
        "person": {
            "ci": session.decrypt(data["ci"]),
            "di": session.decrypt(data["di"]),
            "name": session.decrypt(data["name"]),
            "birthday": datetime.date(int(birthday[:4]), int(birthday[4:6]), int(birthday[6:])),
            "gender": session.decrypt(data["gender"]),
            "nationality": session.decrypt(data["nationality"]),
        },
        "requestedAt": datetime.datetime.fromisoformat(result["requestedDt"]),
        "completedAt": datetime.datetime.fromisoformat(result["completedDt"]),
    }


def tlv(buf, offset):
    """A minimal DER reader: (tag, value start, value end, offset) of the TLV at `offset`."""
    tag = buf[offset]
    length = buf[offset + 1]
    header = 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(buf[offset + 2 : offset + 2 + count], "big")
        header += count
    start = offset + header
    if start + length > len(buf):
        raise ValueError("truncated DER")
    return tag, start, start + length, offset


def children(buf, parent):
    out = []
    at, end = parent[1], parent[2]
    while at < end:
        child = tlv(buf, at)
        out.append(child)
        at = child[2]
    return out


OID_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")
OID_SIGNING_TIME = bytes.fromhex("2a864886f70d010905")


def verify_signed_doc(der, text):
    content_info = tlv(der, 0)
    explicit = children(der, content_info)[1]
    signed_data = tlv(der, explicit[1])
    fields = children(der, signed_data)
    encap = children(der, fields[2])
    octets = tlv(der, encap[1][1])
    content = der[octets[1] : octets[2]]
    certificates = children(der, next(f for f in fields if f[0] == 0xA0))
    signer_infos = children(der, fields[-1])
    if len(signer_infos) != 1:
        raise ValueError("not one signer")
    signer_info = children(der, signer_infos[0])
    attrs = signer_info[3]
    if attrs[0] != 0xA0:
        raise ValueError("no signed attributes")
    signature = der[signer_info[5][1] : signer_info[5][2]]
    message_digest = None
    signing_time = None
    for attribute in children(der, attrs):
        oid, values = children(der, attribute)
        value = tlv(der, values[1])
        ident = der[oid[1] : oid[2]]
        if ident == OID_MESSAGE_DIGEST:
            message_digest = der[value[1] : value[2]]
        elif ident == OID_SIGNING_TIME:
            signing_time = der[value[1] : value[2]].decode("ascii")
    signed = b"\x31" + der[attrs[3] + 1 : attrs[2]]  # [0] IMPLICIT becomes SET OF (RFC 5652 §5.4)
    certificate = x509.load_der_x509_certificate(der[certificates[0][3] : certificates[0][2]])
    if hashlib.sha256(content).digest() != message_digest:
        raise ValueError("content digest")
    if content != text.encode():
        raise ValueError("document")
    at = datetime.datetime.strptime(signing_time, "%y%m%d%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        raise ValueError("not valid then")
    certificate.public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    return certificate.subject.rfc4514_string(), certificate.serial_number, at


# Fixtures, made once, as in the Rust bench.
SESSION = Session()
CI_ENVELOPE = SESSION.encrypt(CI)
# The DER, as open_result leaves it: verify_signed_doc starts from it, as in the Rust bench.
SIGNED_DOC_DER = base64.b64decode(SIGNED_DOC_B64, validate=True)
RESULT = json.loads(
    json.dumps(
        {
            "txId": "0ea2b1f1-3c6a-4d5e-9f8a-7b6c5d4e3f2a",
            "status": "COMPLETED",
            "doc": SIGNED_DOC_TEXT,
            "signedDoc": SIGNED_DOC_B64,
            "signatureType": "PKCS7",
            "docEncrypted": False,
            "randomValue": None,
            "userCiToken": None,
            "completedDt": "2026-11-25T09:01:00+09:00",
            "requestedDt": "2026-11-25T09:00:00+09:00",
            "personalData": {
                "ci": SESSION.encrypt(CI),
                "di": SESSION.encrypt(DI),
                "name": SESSION.encrypt(NAME),
                "birthday": SESSION.encrypt("19930324"),
                "gender": SESSION.encrypt("MALE"),
                "nationality": SESSION.encrypt("LOCAL"),
            },
        }
    )
)

OPERATIONS = {
    "session_new": Session,
    "encrypt_name": lambda: SESSION.encrypt(NAME),
    "decrypt_ci": lambda: SESSION.decrypt(CI_ENVELOPE),
    "prepare_sign_request": prepare_sign_request,
    "open_result": lambda: open_result(RESULT, SESSION),
    "verify_signed_doc": lambda: verify_signed_doc(SIGNED_DOC_DER, SIGNED_DOC_TEXT),
}


def measure(seconds, op):
    budget = int(seconds * 1e9)
    clock = time.perf_counter_ns
    warm_start = clock()
    warm_ops = 0
    while warm_ops < 2 or clock() - warm_start < budget // 5:
        op()
        warm_ops += 1
    per_op = (clock() - warm_start) / warm_ops
    target = min(5e6, budget / 10)
    batch = max(1, int(target / max(per_op, 1)))
    batches = []
    ops = 0
    start = clock()
    while not batches or clock() - start < budget:
        begin = clock()
        for _ in range(batch):
            op()
        batches.append((clock() - begin) / batch)
        ops += batch
    batches.sort()
    mid = len(batches) // 2
    median = batches[mid] if len(batches) % 2 else (batches[mid - 1] + batches[mid]) / 2
    return {"ns_per_op": median, "ops": ops}


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    only = sys.argv[2] if len(sys.argv) > 2 else None
    for op in OPERATIONS.values():
        op()  # fails fast if broken
    out = {}
    for name, op in OPERATIONS.items():
        if only is None or only == name:
            out[name] = measure(seconds, op)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
