// The six operations of `tosscert bench`, the way the provider's Node example does them, with
// Node's `crypto` (OpenSSL). Keep in step with crates/toss-cli/src/bench_cmd.rs and
// xtask/peers/python_bench.py: same inputs, same work, same measurement (a warm-up of a fifth
// of the time, then batches of about 5 ms; the median of the batches' ns per operation).
//
// verify_signed_doc starts from the DER (open_result decodes the base64). It is not a full
// CMS verification: Node has no CMS API. It walks the DER
// just enough to find the signed attributes, the messageDigest, the signature and the signer
// certificate, parses that certificate (crypto.X509Certificate), checks the content digest,
// the validity at the signing time and the RSA signature (crypto.verify). It names the signer
// by position, not by issuer and serial number, and checks no algorithm identifiers.
//
// Prints one JSON object: {"<operation>": {"ns_per_op": <float>, "ops": <int>}, ...}.
// Usage: node node_bench.js [seconds per operation] [operation]
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const PROVIDER_KEY = 'MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAoVdxG0Qi9pip46Jw9ImSlPVD8+L2mM47ey6EZna7D7utgNdh8Tzkjrm1Yl4h6kPJrhdWvMIJGS51+6dh041IXcJEoUquNblUEqAUXBYwQM8PdfnS12SjlvZrP4q6whBE7IV1SEIBJP0gSK5/8Iu+uld2ctJiU4p8uswL2bCPGWdvVPltxAg6hfAG/ImRUKPRewQsFhkFvqIDCpO6aeaR10q6wwENZltlJeeRnl02VWSneRmPqqypqCxz0Y+yWCYtsA+ngfZmwRMaFkXcWjaWnvSqqV33OAsrQkvuBHWoEEkvQ0P08+h9Fy2+FhY9TeuukQ2CVFz5YyOhp25QtWyQI+IaDKk+hLxJ1APR0c3tmV0ANEIjO6HhJIdu2KQKtgFppvqSrZp2OKtI8EZgVbWuho50xvlaPGzWoMi9HSCb+8ARamlOpesxHH3O0cTRUnft2Zk1FHQb2Pidb2z5onMEnzP2xpTqAIVQyb6nMac9tof5NFxwR/c4pmci+1n8GFJIFN18j2XGad1mNyio/R8LabqnzNwJC6VPnZJz5/pDUIk9yKNOY0KJe64SRiL0a4SNMohtyj6QlA/3SGxaEXb8UHpophv4G9wN1CgfyUamsRqp8zo5qDxBvlaIlfkqJvYPkltj7/23FHDjPi8q8UkSiAeu7IV5FTfB5KsiN8+sGSMCAwEAAQ==';
const publicKey = crypto.createPublicKey({ key: Buffer.from(PROVIDER_KEY, 'base64'), format: 'der', type: 'spki' });

const FIXTURES = path.join(__dirname, '..', '..', 'crates', 'toss-cli', 'src', 'bench_cmd');
const SIGNED_DOC_B64 = fs.readFileSync(path.join(FIXTURES, 'seed_sign_result.signed_doc.b64'), 'utf8').trim();
const SIGNED_DOC_TEXT = fs.readFileSync(path.join(FIXTURES, 'seed_sign_result.doc.txt'), 'utf8');
const CI = 'y7JJr0BcDnVTVdOu4LXhiJRuBihV2Vp9NOzbox7WHxpiQa0PRyCVcyWgFVan7BJIg6pJ4QxdPEs2BX4XXkbVFw==';
const DI = 'CNxKLhUklY+cfAggWGRLRo8C2/gnLOV3tZNszSEBVwubHsdx1ndZ02KY5/bD3DaL';
const NAME = '김토스';

// A session: id, key, IV, and the sealed session key.
function sessionNew() {
  const id = crypto.randomUUID();
  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(12);
  const sealed = crypto.publicEncrypt(
    { key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(`AES_GCM$${key.toString('base64')}$${iv.toString('base64')}`),
  );
  return { id, key, iv, sessionKey: `v1$${id}$${sealed.toString('base64')}` };
}

// v1$<id>$<base64(ciphertext ‖ tag)>, AES-256-GCM, AAD = the raw key.
function encrypt(session, plaintext) {
  const cipher = crypto.createCipheriv('aes-256-gcm', session.key, session.iv);
  cipher.setAAD(session.key);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1$${session.id}$${body.toString('base64')}`;
}

function decrypt(session, envelope) {
  const parts = envelope.split('$');
  if (parts.length !== 3 || parts[0] !== 'v1' || parts[1] !== session.id) throw new Error('foreign envelope');
  const data = Buffer.from(parts[2], 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', session.key, session.iv);
  decipher.setAAD(session.key);
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

function prepareSignRequest() {
  const session = sessionNew();
  return JSON.stringify({
    requestType: 'USER_PERSONAL',
    triggerType: 'PUSH',
    userName: encrypt(session, NAME),
    userPhone: encrypt(session, '010-1234-5678'.replace(/[- ]/g, '')),
    userBirthday: encrypt(session, '19930324'),
    sessionKey: session.sessionKey,
    serviceName: '토스 출금이체',
    docTitle: '출금이체 동의문',
    doc: SIGNED_DOC_TEXT,
    docType: 'TEXT',
    docEncrypted: false,
    signatureType: 'PKCS7',
  });
}

function openResult(result, session) {
  const data = result.personalData;
  const birthday = decrypt(session, data.birthday);
  return {
    txId: result.txId,
    doc: result.doc,
    signedDoc: Buffer.from(result.signedDoc, 'base64'),
    person: {
      ci: decrypt(session, data.ci),
      di: decrypt(session, data.di),
      name: decrypt(session, data.name),
      birthday: new Date(Date.UTC(+birthday.slice(0, 4), +birthday.slice(4, 6) - 1, +birthday.slice(6, 8))),
      gender: decrypt(session, data.gender),
      nationality: decrypt(session, data.nationality),
    },
    requestedAt: new Date(result.requestedDt),
    completedAt: new Date(result.completedDt),
  };
}

// A minimal DER reader: the TLV at `offset` of `buf`.
function tlv(buf, offset) {
  const tag = buf[offset];
  let length = buf[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 2 + i];
    header += count;
  }
  const start = offset + header;
  if (start + length > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + length, offset };
}

function children(buf, parent) {
  const out = [];
  for (let at = parent.start; at < parent.end;) {
    const child = tlv(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

const OID_MESSAGE_DIGEST = Buffer.from('2a864886f70d010904', 'hex');
const OID_SIGNING_TIME = Buffer.from('2a864886f70d010905', 'hex');

function verifySignedDoc(der, text) {
  const contentInfo = tlv(der, 0);
  const [, explicit] = children(der, contentInfo);
  const signedData = tlv(der, explicit.start);
  const fields = children(der, signedData);
  const encap = children(der, fields[2]);
  const octets = tlv(der, encap[1].start);
  const content = der.subarray(octets.start, octets.end);
  const certificates = children(der, fields.find((f) => f.tag === 0xa0));
  const signerInfos = children(der, fields[fields.length - 1]);
  if (signerInfos.length !== 1) throw new Error('not one signer');
  const signerInfo = children(der, signerInfos[0]);
  const attrs = signerInfo[3];
  if (attrs.tag !== 0xa0) throw new Error('no signed attributes');
  const signature = der.subarray(signerInfo[5].start, signerInfo[5].end);
  let messageDigest = null;
  let signingTime = null;
  for (const attribute of children(der, attrs)) {
    const [oid, values] = children(der, attribute);
    const value = tlv(der, values.start);
    const id = der.subarray(oid.start, oid.end);
    if (id.equals(OID_MESSAGE_DIGEST)) messageDigest = der.subarray(value.start, value.end);
    if (id.equals(OID_SIGNING_TIME)) signingTime = der.subarray(value.start, value.end).toString('latin1');
  }
  const signed = Buffer.from(der.subarray(attrs.offset, attrs.end));
  signed[0] = 0x31; // the [0] IMPLICIT tag becomes SET OF (RFC 5652 §5.4)
  const certificate = new crypto.X509Certificate(der.subarray(certificates[0].offset, certificates[0].end));
  if (!crypto.createHash('sha256').update(content).digest().equals(messageDigest)) throw new Error('content digest');
  if (!content.equals(Buffer.from(text, 'utf8'))) throw new Error('document');
  const at = utcTime(signingTime);
  if (at < new Date(certificate.validFrom) || at > new Date(certificate.validTo)) throw new Error('not valid then');
  if (!crypto.verify('sha256', signed, certificate.publicKey, signature)) throw new Error('signature');
  return { subject: certificate.subject, serialNumber: certificate.serialNumber, signingTime: at };
}

function utcTime(text) {
  const y = +text.slice(0, 2);
  return new Date(Date.UTC(y < 50 ? 2000 + y : 1900 + y, +text.slice(2, 4) - 1, +text.slice(4, 6),
    +text.slice(6, 8), +text.slice(8, 10), +text.slice(10, 12)));
}

// Fixtures, made once, as in the Rust bench.
const session = sessionNew();
const ciEnvelope = encrypt(session, CI);
// The DER, as open_result leaves it: verify_signed_doc starts from it, as in the Rust bench.
const SIGNED_DOC_DER = Buffer.from(SIGNED_DOC_B64, 'base64');
const result = JSON.parse(JSON.stringify({
  txId: '0ea2b1f1-3c6a-4d5e-9f8a-7b6c5d4e3f2a',
  status: 'COMPLETED',
  doc: SIGNED_DOC_TEXT,
  signedDoc: SIGNED_DOC_B64,
  signatureType: 'PKCS7',
  docEncrypted: false,
  randomValue: null,
  userCiToken: null,
  completedDt: '2026-11-25T09:01:00+09:00',
  requestedDt: '2026-11-25T09:00:00+09:00',
  personalData: {
    ci: encrypt(session, CI),
    di: encrypt(session, DI),
    name: encrypt(session, NAME),
    birthday: encrypt(session, '19930324'),
    gender: encrypt(session, 'MALE'),
    nationality: encrypt(session, 'LOCAL'),
  },
}));

const OPERATIONS = {
  session_new: () => sessionNew(),
  encrypt_name: () => encrypt(session, NAME),
  decrypt_ci: () => decrypt(session, ciEnvelope),
  prepare_sign_request: () => prepareSignRequest(),
  open_result: () => openResult(result, session),
  verify_signed_doc: () => verifySignedDoc(SIGNED_DOC_DER, SIGNED_DOC_TEXT),
};

function measure(seconds, op) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const warmStart = process.hrtime.bigint();
  let warmOps = 0;
  while (warmOps < 2 || process.hrtime.bigint() - warmStart < budget / 5n) {
    op();
    warmOps++;
  }
  const perOp = Number(process.hrtime.bigint() - warmStart) / warmOps;
  const target = Math.min(5e6, Number(budget) / 10);
  const batch = Math.max(1, Math.floor(target / Math.max(perOp, 1)));
  const batches = [];
  let ops = 0;
  const start = process.hrtime.bigint();
  while (batches.length === 0 || process.hrtime.bigint() - start < budget) {
    const begin = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) op();
    batches.push(Number(process.hrtime.bigint() - begin) / batch);
    ops += batch;
  }
  batches.sort((a, b) => a - b);
  const mid = batches.length >> 1;
  const median = batches.length % 2 ? batches[mid] : (batches[mid - 1] + batches[mid]) / 2;
  return { ns_per_op: median, ops };
}

const seconds = Number(process.argv[2] || 2);
const only = process.argv[3];
const out = {};
for (const [name, op] of Object.entries(OPERATIONS)) {
  op(); // fails fast if broken
}
for (const [name, op] of Object.entries(OPERATIONS)) {
  if (only && only !== name) continue;
  out[name] = measure(seconds, op);
}
console.log(JSON.stringify(out));
