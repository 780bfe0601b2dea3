/** `assay audit` end to end: the compliance rules and section, in every format, through the CLI. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtInRuleMetas } from '../../../src/assay.js';
import { render } from '../../../src/report/index.js';
import { auditCompliance, card } from '../../compliance/support.js';
import { type HubServer, startHubServer } from '../../fixtures/hub-server.js';
import { runAssay, tempFolder } from '../../helpers.js';

const EXAMPLE = 'examples/licence-lineage';
/** Each CLI run starts a fresh Node process; tests with several runs get room on a loaded machine. */
const SEVERAL_RUNS = 300_000;
const lineageArgs = (policy: string) => [
  `${EXAMPLE}/model`,
  '--cards',
  `${EXAMPLE}/cards`,
  '--policy',
  `${EXAMPLE}/${policy}`,
];

describe('assay audit: licence lineage example', () => {
  it('text shows the licence evidence, the lineage tree, the decision and the obligations; the gate passes', async () => {
    const { code, stdout } = await runAssay(['audit', ...lineageArgs('policy.yaml')]);
    expect(code).toBe(0);
    expect(stdout).toContain('Compliance');
    expect(stdout).toContain('LICENSE (licence text) → apache-2.0 (similarity 1');
    expect(stdout).toContain('└ meta-llama/Meta-Llama-3-8B-Instruct: llama3 (LicenseRef-hf-llama3) [cards-folder]');
    expect(stdout).toContain('allowed-with-obligations: llama3');
    expect(stdout).toContain('Obligations (paste into release notes)');
    expect(stdout).toContain('display "Built with Meta Llama 3"');
    expect(stdout).toContain('compliance/licence-lineage-relaxed');
  });

  it(
    'JSON carries the compliance section; HTML and Markdown render it',
    async () => {
      const json = JSON.parse((await runAssay(['audit', ...lineageArgs('policy.yaml'), '--format', 'json'])).stdout);
      expect(json.compliance.licence.effective.spdx).toBe('Apache-2.0');
      expect(json.compliance.lineage.map((node: { model: string }) => node.model)).toEqual([
        '.',
        'meta-llama/Meta-Llama-3-8B-Instruct',
        'meta-llama/Meta-Llama-3-8B',
      ]);
      expect(json.compliance.overall).toBe('allowed-with-obligations');
      const html = (await runAssay(['audit', ...lineageArgs('policy.yaml'), '--format', 'html'])).stdout;
      expect(html).toContain('Compliance');
      expect(html).toContain('display &quot;Built with Meta Llama 3&quot;');
      const md = (await runAssay(['audit', ...lineageArgs('policy.yaml'), '--format', 'md'])).stdout;
      expect(md).toContain('**Obligations (paste into release notes)**');
    },
    SEVERAL_RUNS,
  );

  it('using the outputs to train another model is denied under Llama 3 §1.b.v: exit 1', async () => {
    const { code, stdout } = await runAssay(['audit', ...lineageArgs('policy-distill.yaml')]);
    expect(code).toBe(1);
    expect(stdout).toContain('compliance/licence-use-denied');
    expect(stdout).toContain('[§1.b.v]');
  });

  it('assay scan runs no compliance rules and has no compliance section', async () => {
    const { stdout } = await runAssay(['scan', ...lineageArgs('policy.yaml'), '--format', 'json']);
    const report = JSON.parse(stdout);
    expect(report.compliance).toBeUndefined();
    expect(report.findings.filter((finding: { pillar: string }) => finding.pillar === 'compliance')).toEqual([]);
  });

  it('a --cards folder that does not exist is a usage error (exit 2) naming it', async () => {
    const { code, stderr } = await runAssay(['audit', `${EXAMPLE}/model`, '--cards', 'no/such/cards']);
    expect(code).toBe(2);
    expect(stderr).toContain('--cards no/such/cards: not a folder');
  });
});

describe('assay audit hf://: ancestors fetched from the Hub endpoint', () => {
  let server: HubServer | undefined;
  afterAll(async () => server?.close());

  it(
    'a commercial SaaS over a cc-by-nc-4.0 Hub ancestor fails the gate and names it; scan fetches nothing',
    async () => {
      server = await startHubServer({
        repos: {
          'acme/chat': {
            folder: await tempFolder({ 'README.md': card('license: apache-2.0', 'base_model: lab/base-nc') }),
          },
          'lab/base-nc': { folder: await tempFolder({ 'README.md': card('license: cc-by-nc-4.0') }) },
        },
      });
      const policy = join(
        await tempFolder({ 'policy.yaml': 'intendedUse:\n  commercial: true\n  distribution: saas\n' }),
        'policy.yaml',
      );
      const env = { HF_ENDPOINT: server.url, HF_HOME: await tempFolder({}) };
      const audited = await runAssay(['audit', 'hf://acme/chat@main', '--policy', policy, '--format', 'json'], env);
      expect(audited.code).toBe(1);
      const report = JSON.parse(audited.stdout);
      const denied = report.findings.find(
        (finding: { ruleId: string }) => finding.ruleId === 'compliance/licence-use-denied',
      );
      expect(denied.message).toContain('lab/base-nc');
      expect(report.compliance.lineage[1]).toMatchObject({ model: 'lab/base-nc', found: 'hub' });

      const before = server.requests.length;
      await runAssay(['scan', 'hf://acme/chat@main', '--format', 'json'], env);
      expect(server.requests.slice(before).some((request) => request.path.includes('lab/base-nc'))).toBe(false);

      const offline = await runAssay(['audit', 'hf://acme/chat@main', '--offline', '--format', 'json'], env);
      expect(JSON.parse(offline.stdout).compliance.lineage[1]).toMatchObject({
        model: 'lab/base-nc',
        found: 'not-found',
      });
    },
    SEVERAL_RUNS,
  );
});

describe('compliance section rendering of hostile card values', () => {
  it('a base_model full of markup is escaped in HTML and Markdown and never looked up', async () => {
    const hostile = '<img src=x onerror=alert(1)>/*[x](javascript:alert(1))*';
    const report = await auditCompliance({
      'README.md': card('license: mit', `base_model: ${JSON.stringify(hostile)}`),
    });
    expect(report.compliance?.lineage[1]).toMatchObject({ model: hostile, found: 'not-found' });
    const html = render('html', report, builtInRuleMetas());
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const md = render('md', report, builtInRuleMetas());
    expect(md).not.toContain('[x](javascript:alert(1))');
  });
});
