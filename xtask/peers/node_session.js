// Session generation the way the provider's Node example does it: a random UUID, a 32-byte
// key and a 12-byte IV, RSA-OAEP (SHA-1) with the provider's 4096-bit key, base64.
// Prints one JSON line: {"op":"session_new","ns_per_op":<median of batches>,"ops":<n>}.
// Usage: node node_session.js [seconds]
'use strict';
const crypto = require('crypto');

const PROVIDER_KEY = 'MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAoVdxG0Qi9pip46Jw9ImSlPVD8+L2mM47ey6EZna7D7utgNdh8Tzkjrm1Yl4h6kPJrhdWvMIJGS51+6dh041IXcJEoUquNblUEqAUXBYwQM8PdfnS12SjlvZrP4q6whBE7IV1SEIBJP0gSK5/8Iu+uld2ctJiU4p8uswL2bCPGWdvVPltxAg6hfAG/ImRUKPRewQsFhkFvqIDCpO6aeaR10q6wwENZltlJeeRnl02VWSneRmPqqypqCxz0Y+yWCYtsA+ngfZmwRMaFkXcWjaWnvSqqV33OAsrQkvuBHWoEEkvQ0P08+h9Fy2+FhY9TeuukQ2CVFz5YyOhp25QtWyQI+IaDKk+hLxJ1APR0c3tmV0ANEIjO6HhJIdu2KQKtgFppvqSrZp2OKtI8EZgVbWuho50xvlaPGzWoMi9HSCb+8ARamlOpesxHH3O0cTRUnft2Zk1FHQb2Pidb2z5onMEnzP2xpTqAIVQyb6nMac9tof5NFxwR/c4pmci+1n8GFJIFN18j2XGad1mNyio/R8LabqnzNwJC6VPnZJz5/pDUIk9yKNOY0KJe64SRiL0a4SNMohtyj6QlA/3SGxaEXb8UHpophv4G9wN1CgfyUamsRqp8zo5qDxBvlaIlfkqJvYPkltj7/23FHDjPi8q8UkSiAeu7IV5FTfB5KsiN8+sGSMCAwEAAQ==';
const publicKey = crypto.createPublicKey({ key: Buffer.from(PROVIDER_KEY, 'base64'), format: 'der', type: 'spki' });

function sessionNew() {
  const id = crypto.randomUUID();
  const key = crypto.randomBytes(32).toString('base64');
  const iv = crypto.randomBytes(12).toString('base64');
  const sealed = crypto.publicEncrypt(
    { key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(`AES_GCM$${key}$${iv}`),
  );
  return `v1$${id}$${sealed.toString('base64')}`;
}

const seconds = Number(process.argv[2] || 3);
const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
for (let i = 0; i < 200; i++) sessionNew(); // warm-up
const batches = [];
let ops = 0;
while (process.hrtime.bigint() < deadline) {
  const n = 100;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sessionNew();
  batches.push(Number(process.hrtime.bigint() - start) / n);
  ops += n;
}
batches.sort((a, b) => a - b);
console.log(JSON.stringify({ op: 'session_new', ns_per_op: batches[Math.floor(batches.length / 2)], ops }));
