/**
 * Key-based signing in the OpenSSF model-signing format (the bundle `model_signing` 1.1 writes for
 * `sign key`): a Sigstore bundle v0.3 whose DSSE envelope carries an in-toto Statement v1 with the
 * `https://model_signing/signature/v1.0` predicate listing every file's SHA-256, signed with ECDSA over the
 * DSSE PAE using the curve's hash (P-256 → SHA-256, P-384 → SHA-384, P-521 → SHA-512).
 */
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  DEFAULT_IGNORED,
  IN_TOTO_PAYLOAD_TYPE,
  keyDescription,
  PREDICATE_V1,
  pae,
  pemBlocks,
  relativeToRoot,
} from './signing.js';
import { hashFile, walkModel } from './signing-digests.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const DEFAULT_SIGNATURE_NAME = 'model.sig';

export interface SignModelOptions {
  /** PEM file with the EC private key (PKCS#8 `PRIVATE KEY` or SEC 1 `EC PRIVATE KEY`). */
  key: string;
  /** Where the bundle goes; default `model.sig` inside the folder (next to the file for a single-file model). */
  output?: string;
  /** Paths the signature leaves out: absolute, relative to the working directory, or to the model folder. */
  ignorePaths?: string[];
}

export interface SignModelResult {
  output: string;
  /** Signed files (relative paths, "." for a single-file model). */
  files: string[];
  /** e.g. "ECDSA P-384, SHA-384". */
  key: string;
}

/** Thrown for a key that cannot sign model-signing bundles; the message says what to do. */
export class SigningKeyError extends Error {}

async function loadPrivateKey(path: string): Promise<KeyObject> {
  const text = await readFile(path, 'utf8');
  const block = pemBlocks(text).find((candidate) => /PRIVATE KEY$/.test(candidate.label));
  if (!block) throw new SigningKeyError(`${path} holds no PEM private key (expected "-----BEGIN PRIVATE KEY-----").`);
  if (block.label === 'ENCRYPTED PRIVATE KEY')
    throw new SigningKeyError(`${path} is encrypted; decrypt it first (openssl pkey -in ${path} -out plain.pem).`);
  try {
    return createPrivateKey(block.pem);
  } catch (error) {
    throw new SigningKeyError(`${path}: the private key cannot be read: ${(error as Error).message}`);
  }
}

/** Signs a model folder (or one file) and writes the bundle; returns where and what was signed. */
export async function signModel(target: string, options: SignModelOptions): Promise<SignModelResult> {
  const root = resolve(target);
  const isFolder = (await stat(root)).isDirectory();
  const privateKey = await loadPrivateKey(options.key);
  const { label, hash } = keyDescription(privateKey);
  if (!hash) throw new SigningKeyError(`The key in ${options.key} is ${label}; sign with an EC P-256 or P-384 key.`);
  const output = resolve(
    options.output ?? (isFolder ? join(root, DEFAULT_SIGNATURE_NAME) : join(root, '..', DEFAULT_SIGNATURE_NAME)),
  );

  const ignored = new Set(DEFAULT_IGNORED);
  const outputRel = relativeToRoot(root, output);
  if (outputRel) ignored.add(outputRel);
  ignored.add(DEFAULT_SIGNATURE_NAME); // verifiers always skip it
  for (const path of options.ignorePaths ?? []) {
    const rel = relativeToRoot(root, path);
    if (rel) ignored.add(rel);
  }
  const walk = await walkModel(root, ignored, false);
  const resources: { algorithm: string; name: string; digest: string }[] = [];
  for (const file of walk.files)
    resources.push({ algorithm: 'sha256', name: file.name, digest: await hashFile(file.path) });
  resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const subjectDigest = createHash('sha256')
    .update(Buffer.concat(resources.map((resource) => Buffer.from(resource.digest, 'hex'))))
    .digest('hex');
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: basename(root), digest: { sha256: subjectDigest } }],
    predicateType: PREDICATE_V1,
    predicate: {
      resources,
      serialization: {
        allow_symlinks: false,
        method: 'files',
        hash_type: 'sha256',
        ignore_paths: [...ignored],
      },
    },
  };
  const payload = Buffer.from(JSON.stringify(statement, null, 2), 'utf8');
  const signature = cryptoSign(hash, pae(IN_TOTO_PAYLOAD_TYPE, payload), { key: privateKey, dsaEncoding: 'der' });
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const bundle = {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: createHash('sha256').update(publicPem).digest('hex') },
      tlogEntries: [],
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signature.toString('base64'), keyid: '' }],
    },
  };
  await writeFile(output, `${JSON.stringify(bundle)}\n`);
  return { output, files: resources.map((resource) => resource.name), key: label };
}
