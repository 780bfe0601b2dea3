import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  IN_TOTO_PAYLOAD_TYPE,
  PREDICATE_V1,
  pae,
  type VerifyModelSignatureOptions,
  verifyModelSignature,
} from '../../src/provenance/signing.js';
import { SHARED_DATA, tempFolder } from '../helpers.js';

const SIGNING = join(SHARED_DATA, 'signing');
const TESTS = join(SIGNING, 'model-transparency', 'scripts', 'tests');
const KEYS = join(TESTS, 'keys', 'certificate');
const IDENTITY = 'stefanb@us.ibm.com';
const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';

const copies: string[] = [];
afterAll(async () => {
  for (const dir of copies.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Copies a fixture case to a temporary folder (keeping its name) so it can be tampered with. */
async function copyCase(name: string): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'assay-signing-'));
  copies.push(parent);
  await cp(join(TESTS, name), join(parent, name), { recursive: true });
  return join(parent, name);
}

/** The options SOURCES.md gives for each fixture case. */
function optionsFor(name: string, dir = join(TESTS, name)): VerifyModelSignatureOptions {
  const base = { bundle: join(dir, 'model.sig'), ignorePaths: [join(dir, 'ignore-me')] };
  if (name.endsWith('-certificate')) return { ...base, certificateChain: join(KEYS, 'ca-cert.pem') };
  if (name.endsWith('-elliptic-key')) return { ...base, key: join(KEYS, 'signing-key-pub.pem') };
  const root = name.startsWith('v1.1.0') ? 'trusted_root.tuf-5.0.1.json' : 'trusted_root.json';
  return { ...base, identity: IDENTITY, issuer: ISSUER, trustedRoot: join(SIGNING, root) };
}

/** v0.3.1 and v1.0.0 elliptic-key bundles sign the single file signme-1 (resource "."). */
const SINGLE_FILE = new Set(['v0.3.1-elliptic-key', 'v1.0.0-elliptic-key']);
const target = (name: string, dir = join(TESTS, name)) => (SINGLE_FILE.has(name) ? join(dir, 'signme-1') : dir);

const CASES: [string, 'v0.x' | 'v1.x', 'key' | 'certificate' | 'sigstore'][] = [
  ['v0.2.0-certificate', 'v0.x', 'certificate'],
  ['v0.3.1-certificate', 'v1.x', 'certificate'],
  ['v1.0.0-certificate', 'v1.x', 'certificate'],
  ['v1.0.1-certificate', 'v1.x', 'certificate'],
  ['v1.1.0-certificate', 'v1.x', 'certificate'],
  ['v0.3.1-elliptic-key', 'v1.x', 'key'],
  ['v1.0.0-elliptic-key', 'v1.x', 'key'],
  ['v1.0.1-elliptic-key', 'v1.x', 'key'],
  ['v1.1.0-elliptic-key', 'v1.x', 'key'],
  ['v0.3.1-sigstore', 'v1.x', 'sigstore'],
  ['v1.0.0-sigstore', 'v1.x', 'sigstore'],
  ['v1.0.1-sigstore', 'v1.x', 'sigstore'],
  ['v1.1.0-sigstore', 'v1.x', 'sigstore'],
];

describe('verifyModelSignature on the model-transparency fixtures', () => {
  it.each(CASES)('%s verifies', async (name, format, method) => {
    const result = await verifyModelSignature(target(name), optionsFor(name));
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ valid: true, format, method });
    expect(result.resources.length).toBeGreaterThan(0);
    expect(result.resources.every((r) => r.status === 'ok')).toBe(true);
    if (method === 'sigstore') expect(result.signer).toContain(IDENTITY);
    if (method === 'certificate') expect(result.signer).toContain('CN=');
  });

  it('verifies the v0.3.1 and v1.0.0 certificate bundles with the bare public key too', async () => {
    for (const name of ['v0.3.1-certificate', 'v1.0.0-certificate']) {
      const dir = join(TESTS, name);
      const result = await verifyModelSignature(dir, {
        bundle: join(dir, 'model.sig'),
        key: join(KEYS, 'signing-key-pub.pem'),
      });
      expect(result.problems).toEqual([]);
      expect(result.method).toBe('key');
    }
  });

  it('says to verify the file when a single-file signature is checked against its folder', async () => {
    const dir = join(TESTS, 'v1.0.0-elliptic-key');
    const result = await verifyModelSignature(dir, optionsFor('v1.0.0-elliptic-key'));
    expect(result.valid).toBe(false);
    expect(result.problems[0]).toMatch(/single file \("signme-1"\), not a folder/);
  });
});

describe('verifyModelSignature failures', () => {
  it('names the modified file', async () => {
    for (const name of ['v1.0.1-elliptic-key', 'v0.2.0-certificate', 'v1.1.0-sigstore']) {
      const dir = await copyCase(name);
      await writeFile(join(dir, 'signme-2'), 'tampered\n');
      const result = await verifyModelSignature(dir, optionsFor(name, dir));
      expect(result.valid).toBe(false);
      expect(result.resources.find((r) => r.path === 'signme-2')?.status).toBe('mismatch');
      expect(result.problems).toEqual([
        expect.stringMatching(/^File "signme-2" does not match the signature: expected sha256 32dcb1f8/),
      ]);
    }
  });

  it('reports missing and extra files, and files not ignored', async () => {
    const dir = await copyCase('v1.0.1-certificate');
    await rm(join(dir, 'signme-1'));
    await writeFile(join(dir, 'added.bin'), 'new');
    const result = await verifyModelSignature(dir, optionsFor('v1.0.1-certificate', dir));
    expect(result.valid).toBe(false);
    expect(result.resources.map((r) => [r.path, r.status])).toEqual([
      ['signme-1', 'missing'],
      ['signme-2', 'ok'],
      ['added.bin', 'extra'],
    ]);
    expect(result.problems).toContain('File "signme-1" is listed in the signature but missing from the model.');
    expect(result.problems).toContain('File "added.bin" is present in the model but not covered by the signature.');
    // v1.0.1 does not record ignore_paths: without --ignore-paths, ignore-me is an extra file.
    const strict = await verifyModelSignature(join(TESTS, 'v1.0.1-certificate'), {
      bundle: join(TESTS, 'v1.0.1-certificate', 'model.sig'),
      certificateChain: join(KEYS, 'ca-cert.pem'),
    });
    expect(strict.problems).toEqual(['File "ignore-me" is present in the model but not covered by the signature.']);
  });

  it('rejects a wrong identity and a wrong issuer, naming what was expected and found', async () => {
    const name = 'v1.0.0-sigstore';
    const wrong = await verifyModelSignature(target(name), { ...optionsFor(name), identity: 'mallory@example.com' });
    expect(wrong.valid).toBe(false);
    expect(wrong.problems).toEqual([
      `Signer identity mismatch: expected "mallory@example.com" from issuer "${ISSUER}", but the certificate names "${IDENTITY}" from issuer "${ISSUER}".`,
    ]);
    const wrongIssuer = await verifyModelSignature(target(name), {
      ...optionsFor(name),
      issuer: 'https://accounts.google.com',
    });
    expect(wrongIssuer.problems[0]).toMatch(/^Signer identity mismatch: expected .*accounts\.google\.com/);
    const none = await verifyModelSignature(target(name), {
      ...optionsFor(name),
      identity: undefined,
      issuer: undefined,
    });
    expect(none.valid).toBe(false);
    expect(none.problems[0]).toMatch(/needs an expected identity and issuer/);
  });

  it('rejects a Sigstore bundle whose signed payload was altered', async () => {
    const dir = await copyCase('v1.0.0-sigstore');
    const bundlePath = join(dir, 'model.sig');
    const bundle = JSON.parse(await readFile(bundlePath, 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    statement.predicate.resources[1].digest = createHash('sha256').update('tampered\n').digest('hex');
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    await writeFile(bundlePath, JSON.stringify(bundle));
    await writeFile(join(dir, 'signme-2'), 'tampered\n');
    const result = await verifyModelSignature(dir, optionsFor('v1.0.0-sigstore', dir));
    expect(result.valid).toBe(false);
    expect(result.problems[0]).toMatch(/^Sigstore verification failed against the trusted root/);
  });

  it('rejects a wrong key, naming the key', async () => {
    const dir = await tempFolder({});
    const other = join(dir, 'other-pub.pem');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await writeFile(other, publicKey.export({ type: 'spki', format: 'pem' }));
    const name = 'v1.1.0-elliptic-key';
    const result = await verifyModelSignature(target(name), { ...optionsFor(name), key: other });
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual([
      `The signature does not verify with the key in ${other} (ECDSA P-384, SHA-384): the model was signed with another key or the signed manifest was altered.`,
      expect.stringMatching(/^The bundle's key hint e8450dec/),
    ]);
  });

  it('rejects a certificate bundle against a CA that did not issue it', async () => {
    // An unrelated real CA: the Sigstore public-good Fulcio root from the pinned trusted root.
    const root = JSON.parse(await readFile(join(SIGNING, 'trusted_root.json'), 'utf8'));
    const der: string = root.certificateAuthorities[0].certChain.certificates[0].rawBytes;
    const fulcio = new X509Certificate(Buffer.from(der, 'base64'));
    const caPath = join(await tempFolder({}), 'fulcio.pem');
    await writeFile(caPath, fulcio.toString());
    const name = 'v1.0.0-certificate';
    const result = await verifyModelSignature(target(name), { ...optionsFor(name), certificateChain: caPath });
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(/does not chain to a CA in .*fulcio\.pem/)]);
  });
});

/** Writes a key-signed model_signing v1.x bundle for `files` (or shards) in `folder`. */
async function signFolder(
  folder: string,
  privateKey: KeyObject,
  resources: { name: string; digest: string }[],
  serialization: Record<string, unknown>,
  hash: string,
): Promise<string> {
  const root = createHash('sha256')
    .update(Buffer.concat(resources.map((r) => Buffer.from(r.digest, 'hex'))))
    .digest('hex');
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: basename(folder), digest: { sha256: root } }],
    predicateType: PREDICATE_V1,
    predicate: { resources: resources.map((r) => ({ ...r, algorithm: 'sha256' })), serialization },
  };
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign(hash, pae(IN_TOTO_PAYLOAD_TYPE, payload), { key: privateKey, dsaEncoding: 'der' });
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: {}, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: sig.toString('base64') }],
    },
  };
  const path = join(folder, 'model.sig');
  await writeFile(path, JSON.stringify(bundle));
  return path;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('verifyModelSignature on bundles signed in the test', () => {
  it('verifies a P-256 key signature over files in subfolders', async () => {
    const folder = await tempFolder({ 'a.bin': 'alpha', 'sub/b.json': '{"b":1}', '.gitattributes': 'x' });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPath = join(await tempFolder({}), 'pub.pem');
    await writeFile(keyPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const resources = [
      { name: 'a.bin', digest: sha('alpha') },
      { name: 'sub/b.json', digest: sha('{"b":1}') },
    ];
    const bundle = await signFolder(
      folder,
      privateKey,
      resources,
      { method: 'files', hash_type: 'sha256', allow_symlinks: false },
      'sha256',
    );
    const result = await verifyModelSignature(folder, { bundle, key: keyPath });
    expect(result.problems).toEqual([]);
    expect(result.signer).toMatch(/ECDSA P-256, SHA-256/);
  });

  it('verifies shards, and names the shard whose bytes changed', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    const folder = await tempFolder({ 'w.bin': data });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const keyPath = join(await tempFolder({}), 'pub.pem');
    await writeFile(keyPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const resources = [
      { name: 'w.bin:0:8', digest: sha(data.subarray(0, 8)) },
      { name: 'w.bin:8:16', digest: sha(data.subarray(8, 16)) },
      { name: 'w.bin:16:20', digest: sha(data.subarray(16, 20)) },
    ];
    const serialization = { method: 'shards', hash_type: 'sha256', allow_symlinks: false, shard_size: 8 };
    const bundle = await signFolder(folder, privateKey, resources, serialization, 'sha384');
    expect((await verifyModelSignature(folder, { bundle, key: keyPath })).problems).toEqual([]);
    const changed = Buffer.from(data);
    changed[10] = 0x21;
    await writeFile(join(folder, 'w.bin'), changed);
    const result = await verifyModelSignature(folder, { bundle, key: keyPath });
    expect(result.resources.map((r) => r.status)).toEqual(['ok', 'mismatch', 'ok']);
    expect(result.problems).toEqual([expect.stringMatching(/^Shard "w\.bin:8:16" does not match the signature/)]);
    await writeFile(join(folder, 'w.bin'), Buffer.concat([data, Buffer.from('more')]));
    const grown = await verifyModelSignature(folder, { bundle, key: keyPath });
    expect(grown.problems).toContain('File "w.bin": the shards cover 20 bytes but the file has 24.');
  });
});
