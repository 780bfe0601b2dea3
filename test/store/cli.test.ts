/** History, show and the log as a user runs them: `assay audit` records, the other commands read it back. */
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAssay, tempFolder } from '../helpers.js';
import { BACKENDS } from './backends.js';

/** Each case runs the CLI several times; on a loaded machine one run can take tens of seconds. */
const CLI_CASE_TIMEOUT_MS = 600_000;

describe.each(BACKENDS)('assay history, show and log on $name', (backend) => {
  it(
    'audit records each run; history lists it, show re-renders it, log verify catches an edit',
    async () => {
      const location = await backend.fresh();
      const env = backend.env(location);
      const reportFile = join(await tempFolder({}), 'report.json');
      const audited = await runAssay(['audit', 'examples/malicious-model', '--format', 'json', '-o', reportFile], env);
      expect(audited.code).toBe(1);
      const id = audited.stderr.match(/recorded audit ([0-9a-f-]{36}) \(model digest (sha256:[0-9a-f]{64})\)/);
      expect(id, audited.stderr).not.toBeNull();
      const skipped = await runAssay(['audit', 'examples/benign-model', '--no-store', '--quiet'], env);
      expect(skipped).toMatchObject({ code: 0, stderr: '' });

      const history = await runAssay(['history', '--format', 'json'], env);
      expect(history.code).toBe(0);
      const { audits } = JSON.parse(history.stdout);
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({ id: id?.[1], verdict: 'fail', exitCode: 1, modelDigest: id?.[2] });
      expect(audits[0].model).toMatch(/examples\/malicious-model$/);
      const text = await runAssay(['history', 'examples/malicious-model'], env);
      expect(text.stdout).toContain(id?.[1]?.slice(0, 8));
      expect(text.stdout).toMatch(/\bfail\b/);

      const shown = await runAssay(['show', id?.[1]?.slice(0, 8) as string, '--format', 'json'], env);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toBe(await readFile(reportFile, 'utf8'));
      expect((await runAssay(['show', 'ffffffff'], env)).code).toBe(2);

      expect(await runAssay(['log', 'verify'], env)).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/intact: 1 entries/),
      });
      await backend.exec(location, `update audit_log set target = '/somewhere/else' where seq = 1`);
      const broken = await runAssay(['log', 'verify'], env);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/BROKEN at entry 1/);
    },
    CLI_CASE_TIMEOUT_MS,
  );
});

describe('assay history without a store', () => {
  it(
    'says nothing was recorded yet and where it looked',
    async () => {
      const home = await tempFolder({});
      const result = await runAssay(['history'], { ASSAY_HOME: home, ASSAY_DATABASE_URL: '' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`no store at ${join(home, 'assay.db')}`);
    },
    CLI_CASE_TIMEOUT_MS,
  );
});

describe('assay report sign / verify', () => {
  it(
    'signs a report; verification survives re-indenting and fails on a changed value or another key',
    async () => {
      const folder = await tempFolder({});
      const keyPair = () => {
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        return {
          private: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          public: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        };
      };
      const [mine, theirs] = [keyPair(), keyPair()];
      await writeFile(join(folder, 'key.pem'), mine.private);
      await writeFile(join(folder, 'key.pub.pem'), mine.public);
      await writeFile(join(folder, 'other.pub.pem'), theirs.public);
      const report = join(folder, 'report.json');
      await runAssay(['scan', 'examples/malicious-model', '--format', 'json', '-o', report]);
      const signed = await runAssay(['report', 'sign', report, '--key', join(folder, 'key.pem')]);
      expect(signed.code).toBe(0);
      expect(JSON.parse(await readFile(`${report}.sig`, 'utf8'))).toMatchObject({ algorithm: 'ed25519' });

      const verify = (file: string, key = 'key.pub.pem') =>
        runAssay(['report', 'verify', file, '--signature', `${report}.sig`, '--key', join(folder, key)]);
      expect(await verify(report)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^valid/) });

      const parsed = JSON.parse(await readFile(report, 'utf8'));
      const reindented = join(folder, 'reindented.json');
      await writeFile(reindented, JSON.stringify(parsed));
      expect((await verify(reindented)).code).toBe(0);

      const tampered = join(folder, 'tampered.json');
      await writeFile(tampered, JSON.stringify({ ...parsed, verdict: 'pass' }, null, 2));
      expect(await verify(tampered)).toMatchObject({
        code: 1,
        stdout: expect.stringMatching(/changed after it was signed/),
      });
      expect(await verify(report, 'other.pub.pem')).toMatchObject({
        code: 1,
        stdout: expect.stringMatching(/INVALID/),
      });
    },
    CLI_CASE_TIMEOUT_MS,
  );
});
