#!/usr/bin/env python3
"""Writes data_key.csv: `dk1$` sealed data made independently of our Rust code.

Uses Python's `cryptography` package for AES-256-GCM and the standard library's hmac for
the derived key id, following the format of toss_crypto::DataKey: the key id is the first
8 lowercase hex digits of HMAC-SHA256 under the key of b"toss-cert data key id"; the sealed
text is `dk1$<key id>$<base64(nonce || ciphertext || tag)>`, and AES-GCM's AAD is
b"toss-cert dk1\\0" followed by the caller's AAD. Seeded, so running it again rewrites the
same file.

Columns: key (base64), key id, nonce (base64), AAD (UTF-8), plaintext (UTF-8), sealed.

Run: python3 make_data_key_vectors.py > data_key.csv
"""
import base64
import csv
import hashlib
import hmac
import random
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CASES = [
    ("", ""),
    ("", "김토스"),
    ("tx-1/name", "김토스"),
    ("tx-1/birthday", "19930324"),
    ("tx-2/session", "v1$b94ea687-0a72-43f8-be24-7be5029fa998$AES_GCM$KxHeNnbiR5Eh5d/9KJCN6jUW5Md9nkk8jU6WbkmR7Es=$jbZIV4aBzrydN0IP"),
    ("a$b,c", "0123456789abcdef"),
    ("긴 AAD " * 20, "CI0110000000001" * 7),
    ("x", "a" * 1000),
]

rng = random.Random(20261202)
writer = csv.writer(sys.stdout, lineterminator="\n")
for aad, plain in CASES:
    key = bytes(rng.getrandbits(8) for _ in range(32))
    nonce = bytes(rng.getrandbits(8) for _ in range(12))
    key_id = hmac.new(key, b"toss-cert data key id", hashlib.sha256).hexdigest()[:8]
    sealed = AESGCM(key).encrypt(nonce, plain.encode(), b"toss-cert dk1\0" + aad.encode())
    text = "dk1$%s$%s" % (key_id, base64.b64encode(nonce + sealed).decode())
    writer.writerow([base64.b64encode(key).decode(), key_id, base64.b64encode(nonce).decode(), aad, plain, text])
