import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReportSignatureError, signReport, verifyReportSignature } from '../../src/provenance/report-signature.js';
import { canonicalJson } from '../../src/store/canonical-json.js';

const pem = (type: 'ed25519' | 'ec') => {
  const { privateKey, publicKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    private: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    public: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

describe('report signatures', () => {
  const keys = pem('ed25519');
  const report = { verdict: 'fail', findings: [{ ruleId: 'security/x', evidence: { b: 1, a: [1, 2] } }] };

  it('verifies the same report whatever its key order', () => {
    const signature = signReport(report, keys.private);
    const reordered = { findings: [{ evidence: { a: [1, 2], b: 1 }, ruleId: 'security/x' }], verdict: 'fail' };
    expect(verifyReportSignature(reordered, signature, keys.public)).toMatchObject({ valid: true });
  });

  it('fails on a changed value, a reordered array, another key and a damaged signature', () => {
    const signature = signReport(report, keys.private);
    expect(verifyReportSignature({ ...report, verdict: 'pass' }, signature, keys.public)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/changed after it was signed/),
    });
    const swapped = { ...report, findings: [{ ruleId: 'security/x', evidence: { b: 1, a: [2, 1] } }] };
    expect(verifyReportSignature(swapped, signature, keys.public).valid).toBe(false);
    expect(verifyReportSignature(report, signature, pem('ed25519').public)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/another key/),
    });
    const damaged = { ...signature, signature: Buffer.alloc(64).toString('base64') };
    expect(verifyReportSignature(report, damaged, keys.public).valid).toBe(false);
    expect(verifyReportSignature(report, { signature: 'x' }, keys.public)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/not an assay report signature/),
    });
  });

  it('refuses keys that are not ed25519, saying how to make one', () => {
    expect(() => signReport(report, pem('ec').private)).toThrow(ReportSignatureError);
    expect(() => signReport(report, pem('ec').private)).toThrow(/genpkey -algorithm ed25519/);
    expect(() => signReport(report, 'not a key')).toThrow(/cannot read the private key/);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined members and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
});
