import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../core/user-error.js';
import { canonicalDigest, canonicalJson } from '../store/canonical-json.js';

/**
 * A detached ed25519 signature over a report's canonical JSON (sorted keys, no whitespace): re-indenting or
 * reordering the report does not break it, changing any value does.
 */
export const ReportSignature = z.object({
  type: z.literal('assay-report-signature'),
  algorithm: z.literal('ed25519'),
  canonicalization: z.literal('assay-canonical-json').describe('JSON with sorted keys and no whitespace'),
  reportDigest: z.string().describe('sha256 of the canonical report, for reference; the signature is what counts'),
  publicKey: z
    .string()
    .describe('The signer public key (SPKI DER, base64), for reference; verify with a key you trust'),
  signature: z.string().describe('base64'),
  signedAt: z.string(),
});
export type ReportSignature = z.infer<typeof ReportSignature>;

export class ReportSignatureError extends UserError {}

export function signReport(report: unknown, privateKeyPem: string, now: Date = new Date()): ReportSignature {
  const key = ed25519Key(() => createPrivateKey(privateKeyPem), 'private');
  return {
    type: 'assay-report-signature',
    algorithm: 'ed25519',
    canonicalization: 'assay-canonical-json',
    reportDigest: canonicalDigest(report),
    publicKey: createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64'),
    signature: sign(null, Buffer.from(canonicalJson(report)), key).toString('base64'),
    signedAt: now.toISOString(),
  };
}

export type ReportVerification = { valid: true; reportDigest: string } | { valid: false; reason: string };

/** Checks the signature against the report and a public key the caller trusts (never the one in the file). */
export function verifyReportSignature(report: unknown, signature: unknown, publicKeyPem: string): ReportVerification {
  const parsed = ReportSignature.safeParse(signature);
  if (!parsed.success)
    return {
      valid: false,
      reason: `not an assay report signature (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    };
  const key = ed25519Key(() => createPublicKey(publicKeyPem), 'public');
  const reportDigest = canonicalDigest(report);
  if (!verify(null, Buffer.from(canonicalJson(report)), key, Buffer.from(parsed.data.signature, 'base64')))
    return {
      valid: false,
      reason:
        reportDigest === parsed.data.reportDigest
          ? 'the signature does not match this key: the report was signed with another key, or the signature was altered'
          : 'the report changed after it was signed (its canonical digest differs from the one signed)',
    };
  return { valid: true, reportDigest };
}

function ed25519Key(load: () => KeyObject, kind: 'private' | 'public'): KeyObject {
  let key: KeyObject;
  try {
    key = load();
  } catch (error) {
    throw new ReportSignatureError(`cannot read the ${kind} key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ReportSignatureError(
      `the ${kind} key is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not ed25519 ` +
        '(make one with `openssl genpkey -algorithm ed25519 -out key.pem` and `openssl pkey -in key.pem -pubout -out key.pub.pem`)',
    );
  return key;
}
