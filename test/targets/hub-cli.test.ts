/** `assay scan hf://org/name@rev` end to end against the local Hub look-alike. */
import { randomBytes } from 'node:crypto';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../fixtures/hub-server.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { runAssay, tempFolder } from '../helpers.js';

let server: HubServer | undefined;
afterAll(async () => server?.close());

async function scan(spec: string, env: Record<string, string>) {
  const { code, stdout, stderr } = await runAssay(['scan', spec, '--format', 'json'], env);
  return { code, report: stdout ? JSON.parse(stdout) : undefined, stderr };
}

describe('assay scan hf://', () => {
  it('audits a pinned download, and reports branches and tampered bytes as provenance findings', async () => {
    const folder = await tempFolder({
      'config.json': '{"model_type":"bert"}',
      'weights.bin': Buffer.concat([randomBytes(600)]),
      'training_args.bin': callPickle('os', 'system', 'echo pwned', 4),
    });
    server = await startHubServer({ repos: { 'org/tiny': { folder } }, tamper: ['weights.bin'] });
    const env = { HF_ENDPOINT: server.url, HF_HOME: await tempFolder({}) };
    const commit = server.commit('org/tiny');

    const pinned = await scan(`hf://org/tiny@${commit}`, env);
    expect(pinned.code).toBe(1);
    const rules = pinned.report.findings.map((finding: { ruleId: string }) => finding.ruleId);
    expect(rules).toContain('security/pickle-dangerous-global');
    expect(rules).toContain('provenance/hub-digest-mismatch');
    expect(rules).not.toContain('provenance/unpinned-revision');
    expect(pinned.report.target.path).toBe(`hf://org/tiny@${commit}`);
    expect(pinned.report.files.map((file: { path: string }) => file.path)).not.toContain('weights.bin');

    const branch = await scan('hf://org/tiny@main', env);
    const unpinned = branch.report.findings.find(
      (finding: { ruleId: string }) => finding.ruleId === 'provenance/unpinned-revision',
    );
    expect(unpinned?.message).toContain(commit);
  });
});

describe('assay scan --hf-cache', () => {
  it('audits every cached model, following snapshot links into their blobs and no further', async () => {
    const cache = await tempFolder({
      'models--org--good/blobs/aaa': '{"model_type":"bert"}',
      'models--org--bad/blobs/bbb': callPickle('os', 'system', 'echo pwned', 4),
      'outside/secret.pkl': callPickle('os', 'system', 'echo outside', 4),
    });
    const good = join(cache, 'models--org--good/snapshots', 'a'.repeat(40));
    const bad = join(cache, 'models--org--bad/snapshots', 'b'.repeat(40));
    await mkdir(good, { recursive: true });
    await mkdir(bad, { recursive: true });
    await symlink('../../blobs/aaa', join(good, 'config.json'));
    await symlink('../../blobs/bbb', join(bad, 'pytorch_model.bin'));
    await symlink(join(cache, 'outside/secret.pkl'), join(bad, 'escape.pkl'));

    const result = await runAssay(['scan', '--hf-cache', '--format', 'json'], { HF_HUB_CACHE: cache });
    expect(result.code).toBe(1);
    const reports = JSON.parse(result.stdout) as {
      target: { path: string };
      findings: { ruleId: string; file?: string }[];
    }[];
    expect(reports.map((report) => report.target.path)).toEqual([
      `hf-cache:org/bad@${'b'.repeat(40)}`,
      `hf-cache:org/good@${'a'.repeat(40)}`,
    ]);
    const badFindings = reports[0].findings.map((finding) => `${finding.ruleId} ${finding.file}`);
    expect(badFindings).toContain('security/pickle-dangerous-global pytorch_model.bin');
    expect(badFindings).toContain('security/symlink-escape escape.pkl');
    expect(reports[1].findings).toEqual([]);
  });
});
