/** `assay sign`: bundles in the OpenSSF model-signing format that `assay verify` and the real fixtures agree on. */
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signModel } from '../../src/provenance/sign.js';
import { verifyModelSignature } from '../../src/provenance/signing.js';
import { runAssay, SHARED_DATA, tempFolder } from '../helpers.js';

const FIXTURES = join(SHARED_DATA, 'signing', 'model-transparency', 'scripts', 'tests');

async function keyPair(curve: 'P-256' | 'P-384') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const folder = await tempFolder({
    'private.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'public.pem': publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    'sec1.pem': privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  });
  return {
    privateKey: join(folder, 'private.pem'),
    publicKey: join(folder, 'public.pem'),
    sec1: join(folder, 'sec1.pem'),
  };
}

function model() {
  return tempFolder({
    'config.json': '{"model_type":"bert"}',
    'model.safetensors': new Uint8Array(3000).fill(7),
    'README.md': '# model\n',
    'notes.txt': 'not part of the release\n',
  });
}

/** The JSON's skeleton: keys and value types, arrays reduced to their first element's shape. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value === null) return 'null';
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, child]) => [key, shape(child)]),
    );
  return typeof value;
}

function statementOf(bundle: { dsseEnvelope: { payload: string } }) {
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
}

describe('assay sign', () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    it(`signs with an EC ${curve} key and verifies; a file changed afterwards fails`, async () => {
      const keys = await keyPair(curve);
      const folder = await model();
      const signed = await signModel(folder, { key: keys.privateKey, ignorePaths: [join(folder, 'notes.txt')] });
      expect(signed.output).toBe(join(folder, 'model.sig'));
      expect(signed.files).toEqual(['README.md', 'config.json', 'model.safetensors']);
      expect(signed.key).toBe(curve === 'P-256' ? 'ECDSA P-256, SHA-256' : 'ECDSA P-384, SHA-384');

      const options = { bundle: signed.output, key: keys.publicKey };
      const good = await verifyModelSignature(folder, options);
      expect(good.problems).toEqual([]);
      expect(good.valid).toBe(true);
      expect(good.resources.map((resource) => resource.status)).toEqual(['ok', 'ok', 'ok']);

      await writeFile(join(folder, 'config.json'), '{"model_type":"gpt2"}');
      const tampered = await verifyModelSignature(folder, options);
      expect(tampered.valid).toBe(false);
      expect(tampered.problems.join('\n')).toMatch(/File "config.json" does not match the signature/);
    });
  }

  it('a bundle signed with another key does not verify', async () => {
    const [signer, other] = [await keyPair('P-256'), await keyPair('P-256')];
    const folder = await model();
    const { output } = await signModel(folder, { key: signer.sec1 });
    const result = await verifyModelSignature(folder, { bundle: output, key: other.publicKey });
    expect(result.valid).toBe(false);
    expect(result.problems[0]).toMatch(/does not verify with the key/);
  });

  it('writes the structure of a real model_signing key-signed bundle (v1.1.0-elliptic-key fixture)', async () => {
    const keys = await keyPair('P-384');
    const folder = await model();
    const { output } = await signModel(folder, { key: keys.privateKey });
    const ours = JSON.parse(await readFile(output, 'utf8'));
    const theirs = JSON.parse(await readFile(join(FIXTURES, 'v1.1.0-elliptic-key', 'model.sig'), 'utf8'));
    expect(shape(ours)).toEqual(shape(theirs));
    expect(ours.mediaType).toBe(theirs.mediaType);
    expect(ours.dsseEnvelope.payloadType).toBe(theirs.dsseEnvelope.payloadType);
    expect(shape(statementOf(ours))).toEqual(shape(statementOf(theirs)));
    const [statement, reference] = [statementOf(ours), statementOf(theirs)];
    expect(statement._type).toBe(reference._type);
    expect(statement.predicateType).toBe(reference.predicateType);
    expect(statement.predicate.serialization).toMatchObject({
      method: 'files',
      hash_type: 'sha256',
      allow_symlinks: false,
    });
    expect(statement.predicate.serialization.ignore_paths).toEqual(expect.arrayContaining(['.git', 'model.sig']));
    // The v1.0.x fixtures share the statement (they only lack ignore_paths).
    const v1 = statementOf(JSON.parse(await readFile(join(FIXTURES, 'v1.0.1-elliptic-key', 'model.sig'), 'utf8')));
    expect(Object.keys(statement).sort()).toEqual(Object.keys(v1).sort());
    expect(shape(statement.predicate.resources)).toEqual(shape(v1.predicate.resources));
  });

  it('through the CLI: sign, verify (exit 0), tamper, verify (exit 1); a missing key is a clear error', async () => {
    const keys = await keyPair('P-384');
    const folder = await model();
    const bundle = join(await tempFolder({}), 'release.sig');
    const signed = await runAssay(['sign', folder, '--key', keys.privateKey, '-o', bundle]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain('signed 4 file(s) with ECDSA P-384, SHA-384');
    const verify = () => runAssay(['verify', folder, '--signature', bundle, '--key', keys.publicKey]);
    const ok = await verify();
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('signature VALID');
    await writeFile(join(folder, 'model.safetensors'), new Uint8Array(3000).fill(8));
    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('File "model.safetensors" does not match the signature');
    const missing = await runAssay(['sign', folder, '--key', join(folder, 'nope.pem')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot sign .*nope\.pem/);
  });
});
