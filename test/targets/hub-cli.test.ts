/** `assay scan hf://org/name@rev` end to end against the local Hub look-alike. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../fixtures/hub-server.js';
import { callPickle } from '../fixtures/pickle-writer.js';
import { PROJECT_ROOT, tempFolder } from '../helpers.js';

const run = promisify(execFile);
let server: HubServer | undefined;
afterAll(async () => server?.close());

async function scan(spec: string, env: Record<string, string>) {
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  try {
    const { stdout } = await run(tsx, [join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'scan', spec, '--format', 'json'], {
      env: { ...process.env, ...env },
      maxBuffer: 16 << 20,
    });
    return { code: 0, report: JSON.parse(stdout) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, report: failed.stdout ? JSON.parse(failed.stdout) : undefined, stderr: failed.stderr };
  }
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
