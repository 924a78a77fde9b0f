#!/usr/bin/env python3
"""Writes aes_cbc.csv: AES_CBC envelopes made independently of our Rust code.

Uses Python's `cryptography` package for AES-CBC with PKCS#7 padding and the standard
library's hmac for HMAC-SHA256, following the provider's format: the HMAC key is the UTF-8
bytes of the base64 text of the secret key, its message the UTF-8 plaintext, written as
lowercase hex. Seeded, so running it again rewrites the same file.

Run: python3 make_cbc_vectors.py > aes_cbc.csv   (or `cargo xtask regen-fixtures`)
"""
import base64
import csv
import hashlib
import hmac
import random
import sys
import uuid

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PLAINTEXTS = [
    "",
    "김토스",
    "Layton Nicholson",
    "01012345678",
    "19930324",
    "0123456789abcde",  # 15 bytes: one byte of padding
    "0123456789abcdef",  # 16 bytes: a whole block of padding
    "0123456789abcdef0",  # 17 bytes
    "CI0110000000001" + "A" * 73,  # 88 characters, the length of a CI
    "토스 간편송금 등의 서비스를 원활하게 이용하기 위하여 출금이체 동의가 필요합니다.",
    "comma, \"quote\" and $dollar$ signs",
    "🙂 emoji and \u00e9 accents",
    "계약서 " * 250,  # 1,000 characters, 2,500 UTF-8 bytes
]


def envelope(session_id, key, iv, plain):
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = enc.update(padded) + enc.finalize()
    key_b64 = base64.b64encode(key).decode()
    mac = hmac.new(key_b64.encode(), plain.encode(), hashlib.sha256).hexdigest()
    return f"v1${session_id}${base64.b64encode(ciphertext).decode()}${mac}"


def main():
    rng = random.Random(20261124)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["keyBits", "sessionId", "secretKey", "iv", "plain", "encrypted"])
    for key_len in (32, 16):
        for plain in PLAINTEXTS:
            session_id = str(uuid.UUID(bytes=rng.randbytes(16), version=4))
            key = rng.randbytes(key_len)
            iv = rng.randbytes(16)
            out.writerow([
                key_len * 8,
                session_id,
                base64.b64encode(key).decode(),
                base64.b64encode(iv).decode(),
                plain,
                envelope(session_id, key, iv, plain),
            ])


if __name__ == "__main__":
    main()
