/**
 * Verification of OpenSSF model-signing (`model_signing`) bundles: a Sigstore bundle whose DSSE envelope
 * carries an in-toto Statement listing every file of a model with its digest.
 *
 * Supports the legacy v0.x predicate (`https://model_signing/Digests/v0.1`, one subject per file) and the
 * v1.x predicate (`https://model_signing/signature/v1.0`, `predicate.resources`, files or shards), and three
 * signing methods: an EC public key (P-256/P-384/P-521, checked here with node:crypto over the DSSE PAE using
 * the curve's hash, because sigstore-js always hashes with SHA-256), a certificate chain anchored in a given CA,
 * and Sigstore keyless (Fulcio certificate + Rekor entry) through @sigstore/verify with a pinned trusted root
 * and an identity policy. Fully offline.
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { hashFile, type ModelFile, nodeHashAlgorithm, walkModel } from './signing-digests.js';

export type SignatureFormat = 'v0.x' | 'v1.x';
export type SignatureMethod = 'key' | 'certificate' | 'sigstore';
export type ResourceStatus = 'ok' | 'mismatch' | 'missing' | 'extra';

export interface SignatureResource {
  /** File path relative to the model root ("." for a single-file model); for shards `path:start:end`. */
  path: string;
  /** Digest recorded in the signature (hex), null for an extra file. */
  expected: string | null;
  /** Digest recomputed from disk (hex), null for a missing file. */
  actual: string | null;
  status: ResourceStatus;
}

export interface SignatureResult {
  /** True only when the signature verifies, the signer matches the policy and every file matches. */
  valid: boolean;
  format: SignatureFormat;
  method: SignatureMethod;
  /** Who signed: the certificate identity (keyless), the certificate subject, or the key fingerprint. */
  signer?: string;
  resources: SignatureResource[];
  /** One clear sentence per problem; empty when valid. */
  problems: string[];
}

export interface VerifyModelSignatureOptions {
  /** Path to the bundle (`model.sig`). */
  bundle: string;
  /** PEM public key (or certificate) for key-based bundles. Text around the PEM block is ignored. */
  key?: string;
  /** PEM file with the trusted CA certificate(s) for certificate-chain bundles. */
  certificateChain?: string;
  /** Expected Sigstore identity (certificate SAN: e-mail or URI). */
  identity?: string;
  /** Expected OIDC issuer of the Sigstore certificate. */
  issuer?: string;
  /** Pinned Sigstore trusted root (`trusted_root.json`), required for keyless verification. */
  trustedRoot?: string;
  /** Paths to leave out: absolute, relative to the working directory, or relative to the model folder. */
  ignorePaths?: string[];
}

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const PREDICATE_V0 = 'https://model_signing/Digests/v0.1';
export const PREDICATE_V1 = 'https://model_signing/signature/v1.0';
/** Paths the signer always leaves out (and records in `ignore_paths` from v1.1.0 on). */
export const DEFAULT_IGNORED = ['.git', '.gitattributes', '.github', '.gitignore'];

const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

/** Thrown for a bundle that cannot be read at all (not JSON, no DSSE envelope, unknown predicate). */
export class SignatureBundleError extends Error {}

// ---------------------------------------------------------------- DSSE

/** DSSE v1 pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** Python `repr(bytes)`, as the buggy model_signing v0.2.0 PAE embedded it. */
function pythonBytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = `b${quote}`;
  for (const c of bytes) {
    if (c === 0x5c || c === quote.charCodeAt(0)) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(c);
  }
  return `${out}${quote}`;
}

/** The PAE model_signing v0.2.0 actually signed (`pae_compat` in the reference verifier). */
export function paeCompat(payload: Uint8Array): Buffer {
  const type = IN_TOTO_PAYLOAD_TYPE;
  return Buffer.from(`DSSEV1 ${type.length} ${type} ${payload.length} ${pythonBytesRepr(payload)}`, 'utf8');
}

// ---------------------------------------------------------------- bundle and statement

interface BundleJson {
  mediaType?: string;
  verificationMaterial?: {
    publicKey?: { hint?: string; rawBytes?: string; keyDetails?: string };
    x509CertificateChain?: { certificates?: { rawBytes: string }[] };
    certificate?: { rawBytes: string };
    tlogEntries?: unknown[];
  };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string | null }[] };
}

interface Expected {
  name: string;
  digest: string;
  algorithm: string;
}

interface Manifest {
  format: SignatureFormat;
  expected: Expected[];
  method: 'files' | 'shards';
  ignorePaths: string[];
  allowSymlinks: boolean;
  /** v1.x: the subject digest, SHA-256 over the concatenated raw resource digests. */
  root?: string;
  /** v1.x: the subject name (the model folder or file name when signed). */
  subjectName?: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseStatement(payload: Buffer): Manifest {
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new SignatureBundleError('The DSSE payload is not JSON, so it is not an in-toto statement.');
  }
  if (!isObject(statement) || !Array.isArray(statement.subject))
    throw new SignatureBundleError('The DSSE payload is not an in-toto statement (no subject list).');
  const subjects = statement.subject.filter(isObject);
  if (statement.predicateType === PREDICATE_V0) {
    const expected = subjects.map((subject) => {
      const digest = isObject(subject.digest) ? subject.digest.sha256 : undefined;
      if (typeof subject.name !== 'string' || typeof digest !== 'string')
        throw new SignatureBundleError('A v0.x subject lacks a name or a sha256 digest.');
      return { name: subject.name, digest: digest.toLowerCase(), algorithm: 'sha256' };
    });
    return { format: 'v0.x', expected, method: 'files', ignorePaths: [], allowSymlinks: false };
  }
  if (statement.predicateType === PREDICATE_V1) {
    const predicate = isObject(statement.predicate) ? statement.predicate : {};
    const serialization = isObject(predicate.serialization) ? predicate.serialization : {};
    const hashType = typeof serialization.hash_type === 'string' ? serialization.hash_type : 'sha256';
    const resources = Array.isArray(predicate.resources) ? predicate.resources.filter(isObject) : [];
    const expected = resources.map((resource) => {
      if (typeof resource.name !== 'string' || typeof resource.digest !== 'string')
        throw new SignatureBundleError('A v1.x resource lacks a name or a digest.');
      const algorithm = typeof resource.algorithm === 'string' ? resource.algorithm : hashType;
      return { name: resource.name, digest: resource.digest.toLowerCase(), algorithm };
    });
    const root = subjects[0] && isObject(subjects[0].digest) ? subjects[0].digest.sha256 : undefined;
    return {
      format: 'v1.x',
      expected,
      method: serialization.method === 'shards' ? 'shards' : 'files',
      ignorePaths: Array.isArray(serialization.ignore_paths)
        ? serialization.ignore_paths.filter((p): p is string => typeof p === 'string')
        : [],
      allowSymlinks: serialization.allow_symlinks === true,
      root: typeof root === 'string' ? root.toLowerCase() : undefined,
      subjectName: typeof subjects[0]?.name === 'string' ? subjects[0].name : undefined,
    };
  }
  throw new SignatureBundleError(
    `Unknown predicate type ${JSON.stringify(statement.predicateType)}: expected ${PREDICATE_V1} or ${PREDICATE_V0}.`,
  );
}

// ---------------------------------------------------------------- keys and certificates

export function pemBlocks(text: string): { label: string; pem: string }[] {
  const blocks: { label: string; pem: string }[] = [];
  for (const match of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g))
    blocks.push({ label: match[1], pem: `${match[0]}\n` });
  return blocks;
}

async function loadPublicKey(path: string): Promise<{ key: KeyObject; pem: string }> {
  const text = await readFile(path, 'utf8');
  for (const block of pemBlocks(text)) {
    if (block.label === 'PUBLIC KEY') return { key: createPublicKey(block.pem), pem: block.pem };
    if (block.label === 'CERTIFICATE') {
      const key = new X509Certificate(block.pem).publicKey;
      return { key, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
    }
  }
  throw new Error(`${path} holds no PEM public key or certificate.`);
}

async function loadCertificates(path: string): Promise<X509Certificate[]> {
  const text = await readFile(path, 'utf8');
  const certs = pemBlocks(text)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => new X509Certificate(block.pem));
  if (certs.length === 0) throw new Error(`${path} holds no PEM certificate.`);
  return certs;
}

export function keyDescription(key: KeyObject): { label: string; hash: string | undefined } {
  if (key.asymmetricKeyType !== 'ec') return { label: key.asymmetricKeyType ?? 'unknown', hash: undefined };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return { label: 'ECDSA P-256, SHA-256', hash: 'sha256' };
  if (curve === 'secp384r1') return { label: 'ECDSA P-384, SHA-384', hash: 'sha384' };
  if (curve === 'secp521r1') return { label: 'ECDSA P-521, SHA-512', hash: 'sha512' };
  return { label: `ECDSA ${curve ?? 'unknown curve'}`, hash: undefined };
}

function spkiFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** Checks the DSSE signatures with a public key over the PAE (and the v0.2.0 compat PAE). */
function dsseVerifies(envelope: NonNullable<BundleJson['dsseEnvelope']>, payload: Buffer, key: KeyObject): boolean {
  const { hash } = keyDescription(key);
  if (!hash) return false;
  const attempts: [string, Buffer][] = [
    [hash, pae(envelope.payloadType, payload)],
    [hash, paeCompat(payload)],
    // model_signing v0.2 hashed with SHA-256 whatever the curve.
    ['sha256', paeCompat(payload)],
  ];
  for (const { sig } of envelope.signatures) {
    const signature = Buffer.from(sig, 'base64');
    for (const [algorithm, data] of attempts) {
      try {
        if (cryptoVerify(algorithm, data, { key, dsaEncoding: 'der' }, signature)) return true;
      } catch {
        // malformed signature for this key: try the next form
      }
    }
  }
  return false;
}

function certValidNow(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/** Builds a path from the leaf to one of the anchors; returns a problem sentence or undefined. */
function verifyCertificatePath(
  leaf: X509Certificate,
  intermediates: X509Certificate[],
  anchors: X509Certificate[],
  chainPath: string,
): string | undefined {
  const now = new Date();
  const isAnchor = (cert: X509Certificate) => anchors.some((a) => a.fingerprint256 === cert.fingerprint256);
  const issuedBy = (child: X509Certificate, parent: X509Certificate) =>
    child.checkIssued(parent) && child.verify(parent.publicKey);
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    if (!certValidNow(current, now))
      return `Certificate "${current.subject}" is not valid now (valid ${current.validFrom} to ${current.validTo}).`;
    if (isAnchor(current)) return undefined;
    const anchor = anchors.find((a) => issuedBy(current, a));
    if (anchor) return certValidNow(anchor, now) ? undefined : `CA certificate "${anchor.subject}" is not valid now.`;
    const parent = intermediates.find((c) => c !== current && c.ca && issuedBy(current, c));
    if (!parent)
      return `The signing certificate "${leaf.subject}" does not chain to a CA in ${chainPath} (stopped at "${current.subject}", issued by "${current.issuer}").`;
    current = parent;
  }
  return `The certificate chain of "${leaf.subject}" is too long.`;
}

// ---------------------------------------------------------------- signature methods

interface SignatureCheck {
  signer?: string;
  problems: string[];
}

async function checkWithKey(bundle: BundleJson, payload: Buffer, keyPath: string): Promise<SignatureCheck> {
  const envelope = bundle.dsseEnvelope;
  if (!envelope) return { problems: ['The bundle has no DSSE envelope.'] };
  const { key, pem } = await loadPublicKey(keyPath);
  const { label, hash } = keyDescription(key);
  const signer = `public key sha256:${spkiFingerprint(key)} (${label})`;
  if (!hash)
    return {
      signer,
      problems: [`The key in ${keyPath} is ${label}; only EC P-256, P-384 and P-521 keys are supported.`],
    };
  const problems: string[] = [];
  const material = bundle.verificationMaterial?.publicKey;
  if (material?.hint) {
    const hints = [pem, pem.trim()].map((text) => createHash('sha256').update(text).digest('hex'));
    if (!hints.includes(material.hint.toLowerCase()))
      problems.push(`The bundle's key hint ${material.hint} does not match the key in ${keyPath} (hint ${hints[0]}).`);
  }
  if (!dsseVerifies(envelope, payload, key))
    problems.unshift(
      `The signature does not verify with the key in ${keyPath} (${label}): the model was signed with another key or the signed manifest was altered.`,
    );
  else problems.length = 0; // a verifying signature settles it; a hint is only advisory
  return { signer, problems };
}

async function checkWithCertificateChain(
  bundle: BundleJson,
  payload: Buffer,
  chainPath: string,
): Promise<SignatureCheck> {
  const envelope = bundle.dsseEnvelope;
  if (!envelope) return { problems: ['The bundle has no DSSE envelope.'] };
  const material = bundle.verificationMaterial;
  const raw = material?.x509CertificateChain?.certificates ?? (material?.certificate ? [material.certificate] : []);
  if (raw.length === 0)
    return { problems: ['The bundle carries no certificate, so it cannot be verified with a certificate chain.'] };
  const certs = raw.map((c) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')));
  const [leaf, ...intermediates] = certs;
  const signer = leaf.subject.replace(/\n/g, ', ');
  const anchors = await loadCertificates(chainPath);
  const problems: string[] = [];
  const pathProblem = verifyCertificatePath(leaf, intermediates, anchors, chainPath);
  if (pathProblem) problems.push(pathProblem);
  if (leaf.keyUsage && !leaf.keyUsage.includes(CODE_SIGNING_EKU))
    problems.push(`The signing certificate "${signer}" is not allowed for code signing (extended key usage).`);
  const { label } = keyDescription(leaf.publicKey);
  if (!dsseVerifies(envelope, payload, leaf.publicKey))
    problems.push(
      `The signature does not verify with the key of certificate "${signer}" (${label}): the signed manifest was altered or signed by another key.`,
    );
  return { signer, problems };
}

function describeIdentity(identity: string | undefined, issuer: string | undefined): string {
  return `"${identity ?? '(none)'}" from issuer "${issuer ?? '(none)'}"`;
}

async function checkSigstore(bundle: BundleJson, options: VerifyModelSignatureOptions): Promise<SignatureCheck> {
  if (!options.trustedRoot)
    return { problems: ['Sigstore keyless verification needs a pinned trusted root (trustedRoot / --trusted-root).'] };
  const problems: string[] = [];
  let signer: string | undefined;
  try {
    const root = TrustedRoot.fromJSON(JSON.parse(await readFile(options.trustedRoot, 'utf8')));
    const verifier = new Verifier(toTrustMaterial(root));
    const found = verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
    const san = found.identity?.subjectAlternativeName;
    const issuer = found.identity?.extensions?.issuer;
    signer = san ? `${san} (issuer ${issuer ?? 'unknown'})` : undefined;
    if (!options.identity || !options.issuer)
      problems.push(
        `Sigstore keyless verification needs an expected identity and issuer; the certificate names ${describeIdentity(san, issuer)}.`,
      );
    else if (san !== options.identity || issuer !== options.issuer)
      problems.push(
        `Signer identity mismatch: expected ${describeIdentity(options.identity, options.issuer)}, but the certificate names ${describeIdentity(san, issuer)}.`,
      );
  } catch (error) {
    const code = (error as { code?: string }).code;
    problems.push(
      `Sigstore verification failed against the trusted root ${options.trustedRoot}${code ? ` (${code})` : ''}: ${(error as Error).message}.`,
    );
  }
  return { signer, problems };
}

// ---------------------------------------------------------------- digests

function parseShard(name: string): { file: string; start: number; end: number } | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(name);
  if (!match) return undefined;
  return { file: match[1], start: Number(match[2]), end: Number(match[3]) };
}

async function compareFiles(
  manifest: Manifest,
  files: ModelFile[],
): Promise<{ resources: SignatureResource[]; problems: string[] }> {
  const byName = new Map(files.map((file) => [file.name, file]));
  const resources: SignatureResource[] = [];
  const problems: string[] = [];
  const covered = new Set<string>();
  const shardRanges = new Map<string, [number, number][]>();
  for (const entry of manifest.expected) {
    const algorithm = nodeHashAlgorithm(entry.algorithm);
    const shard = manifest.method === 'shards' ? parseShard(entry.name) : undefined;
    if (manifest.method === 'shards' && !shard) {
      problems.push(`Shard name "${entry.name}" is not of the form path:start:end.`);
      resources.push({ path: entry.name, expected: entry.digest, actual: null, status: 'mismatch' });
      continue;
    }
    const fileName = shard ? shard.file : entry.name;
    const file = byName.get(fileName);
    if (!file) {
      problems.push(
        fileName === '.'
          ? `The signature covers a single file${manifest.subjectName ? ` ("${manifest.subjectName}")` : ''}, not a folder: verify that file instead.`
          : `File "${fileName}" is listed in the signature but missing from the model.`,
      );
      resources.push({ path: entry.name, expected: entry.digest, actual: null, status: 'missing' });
      continue;
    }
    covered.add(fileName);
    if (!algorithm) {
      problems.push(`File "${entry.name}" uses hash algorithm "${entry.algorithm}", which Assay cannot compute.`);
      resources.push({ path: entry.name, expected: entry.digest, actual: null, status: 'mismatch' });
      continue;
    }
    if (shard) {
      const ranges = shardRanges.get(fileName) ?? [];
      ranges.push([shard.start, shard.end]);
      shardRanges.set(fileName, ranges);
      if (shard.end > file.size || shard.start > shard.end) {
        problems.push(`Shard "${entry.name}" lies outside file "${fileName}" (${file.size} bytes).`);
        resources.push({ path: entry.name, expected: entry.digest, actual: null, status: 'mismatch' });
        continue;
      }
    }
    const actual = await hashFile(file.path, algorithm, shard?.start, shard?.end);
    const ok = actual === entry.digest;
    if (!ok)
      problems.push(
        `${shard ? `Shard "${entry.name}"` : `File "${entry.name}"`} does not match the signature: expected ${entry.algorithm} ${entry.digest}, found ${actual}.`,
      );
    resources.push({ path: entry.name, expected: entry.digest, actual, status: ok ? 'ok' : 'mismatch' });
  }
  for (const [fileName, ranges] of shardRanges) {
    const size = byName.get(fileName)?.size ?? 0;
    ranges.sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [start, end] of ranges) {
      if (start !== next) {
        problems.push(
          `File "${fileName}": bytes ${Math.min(next, start)}–${Math.max(next, start)} are not covered exactly once by the shards.`,
        );
      }
      next = Math.max(next, end);
    }
    if (next !== size) problems.push(`File "${fileName}": the shards cover ${next} bytes but the file has ${size}.`);
  }
  for (const file of files) {
    if (covered.has(file.name)) continue;
    const actual = await hashFile(file.path);
    problems.push(`File "${file.name}" is present in the model but not covered by the signature.`);
    resources.push({ path: file.name, expected: null, actual, status: 'extra' });
  }
  if (manifest.root !== undefined && manifest.method === 'files') {
    const root = createHash('sha256')
      .update(Buffer.concat(manifest.expected.map((entry) => Buffer.from(entry.digest, 'hex'))))
      .digest('hex');
    if (root !== manifest.root)
      problems.push(`The statement's subject digest ${manifest.root} does not match its resources (computed ${root}).`);
  }
  return { resources, problems };
}

/** Turns a user-given ignore path into a path relative to the model root, or undefined if outside it. */
export function relativeToRoot(root: string, path: string): string | undefined {
  const candidates = isAbsolute(path) ? [path] : [resolve(path), resolve(root, path)];
  for (const candidate of candidates) {
    const rel = relative(root, candidate);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue;
    return rel.split(sep).join('/');
  }
  return undefined;
}

// ---------------------------------------------------------------- entry point

function chooseMethod(bundle: BundleJson, options: VerifyModelSignatureOptions): SignatureMethod {
  if (options.key) return 'key';
  if (options.certificateChain) return 'certificate';
  const material = bundle.verificationMaterial;
  if (options.identity || options.issuer || options.trustedRoot || material?.certificate) return 'sigstore';
  if (material?.x509CertificateChain) return 'certificate';
  return 'key';
}

/**
 * Verifies an OpenSSF model-signing bundle against a model folder (or a single model file).
 * Never throws for a bad signature or a changed model: those are `problems`. Throws only when the
 * bundle cannot be read as a model-signing bundle or a given key/chain/root file cannot be read.
 */
export async function verifyModelSignature(
  folder: string,
  options: VerifyModelSignatureOptions,
): Promise<SignatureResult> {
  let bundle: BundleJson;
  try {
    bundle = JSON.parse(await readFile(options.bundle, 'utf8')) as BundleJson;
  } catch (error) {
    throw new SignatureBundleError(`Cannot read the signature bundle ${options.bundle}: ${(error as Error).message}`);
  }
  const envelope = bundle.dsseEnvelope;
  if (!isObject(bundle) || !envelope || typeof envelope.payload !== 'string' || !Array.isArray(envelope.signatures))
    throw new SignatureBundleError(`${options.bundle} is not a model-signing bundle: it has no DSSE envelope.`);
  const payload = Buffer.from(envelope.payload, 'base64');
  const manifest = parseStatement(payload);
  const method = chooseMethod(bundle, options);
  const problems: string[] = [];
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    problems.push(`The DSSE payload type is "${envelope.payloadType}", expected "${IN_TOTO_PAYLOAD_TYPE}".`);

  let check: SignatureCheck;
  if (method === 'key') {
    check = options.key
      ? await checkWithKey(bundle, payload, options.key)
      : { problems: ['The bundle is signed with a public key: pass the key to verify it (key / --key).'] };
  } else if (method === 'certificate') {
    check = options.certificateChain
      ? await checkWithCertificateChain(bundle, payload, options.certificateChain)
      : {
          problems: [
            'The bundle is signed with a certificate chain: pass the trusted CA (certificateChain / --certificate-chain).',
          ],
        };
  } else {
    check = await checkSigstore(bundle, options);
  }
  problems.push(...check.problems);

  const root = resolve(folder);
  const ignored = new Set([...DEFAULT_IGNORED, ...manifest.ignorePaths]);
  const bundleRel = relativeToRoot(root, resolve(options.bundle));
  ignored.add(bundleRel ?? basename(options.bundle));
  ignored.add('model.sig');
  for (const path of options.ignorePaths ?? []) {
    const rel = relativeToRoot(root, path);
    if (rel) ignored.add(rel);
  }
  const walk = await walkModel(root, ignored, manifest.allowSymlinks);
  if (!manifest.allowSymlinks)
    for (const link of walk.symlinks)
      problems.push(`"${link}" is a symbolic link, which this signature does not allow.`);
  const compared = await compareFiles(manifest, walk.files);
  problems.push(...compared.problems);

  return {
    valid: problems.length === 0,
    format: manifest.format,
    method,
    ...(check.signer ? { signer: check.signer } : {}),
    resources: compared.resources,
    problems,
  };
}
