import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkLineage } from '../../src/compliance/licence-lineage.js';
import { factsOf } from '../../src/formats/facts.js';
import { buildGguf, str, u32 } from '../fixtures/gguf-writer.js';
import { tempFolder } from '../helpers.js';
import { auditCompliance, card, findingsOf } from './support.js';

const COMMERCIAL_SAAS = {
  intendedUse: { commercial: true, distribution: 'saas', monthlyActiveUsers: 2_000_000, regions: ['US'] },
};

describe('base_model lineage through a cards folder', () => {
  it('an apache-2.0 fine-tune of a llama3 base carries the Llama obligations', async () => {
    const report = await auditCompliance(
      {
        'README.md': card('license: apache-2.0', 'base_model: meta-llama/Meta-Llama-3-8B', 'model_name: acme-chat'),
      },
      {
        cards: { 'meta-llama/Meta-Llama-3-8B/README.md': card('license: llama3') },
        policy: COMMERCIAL_SAAS,
      },
    );
    const compliance = report.compliance;
    expect(compliance?.lineage.map((node) => [node.model, node.licence?.id])).toEqual([
      ['.', 'apache-2.0'],
      ['meta-llama/Meta-Llama-3-8B', 'llama3'],
    ]);
    const llama = compliance?.decisions.find((decision) => decision.licence.id === 'llama3');
    expect(llama?.decision).toBe('allowed-with-obligations');
    expect(llama?.models).toEqual(['meta-llama/Meta-Llama-3-8B']);
    const obligations = compliance?.obligations.filter((item) => item.licence === 'llama3').map((item) => item.text);
    expect(obligations?.join('\n')).toContain('Built with Meta Llama 3');
    expect(obligations?.join('\n')).toContain('must begin with "Llama 3" (the card names the model "acme-chat"');
    expect(compliance?.overall).toBe('allowed-with-obligations');
    const [relaxed] = findingsOf(report, 'compliance/licence-lineage-relaxed');
    expect(relaxed?.message).toContain(
      'declares apache-2.0 but its ancestor meta-llama/Meta-Llama-3-8B is under Meta Llama 3',
    );
    expect(report.gate.exitCode).toBe(0);
  });

  it('a commercial SaaS over a cc-by-nc-4.0 grandparent fails the gate and names the ancestor', async () => {
    const report = await auditCompliance(
      { 'README.md': card('license: mit', 'base_model: acme/instruct') },
      {
        cards: {
          'acme/instruct/README.md': card('license: apache-2.0', 'base_model: research-lab/base-nc'),
          'research-lab/base-nc/README.md': card('license: cc-by-nc-4.0'),
        },
        policy: COMMERCIAL_SAAS,
      },
    );
    const [denied] = findingsOf(report, 'compliance/licence-use-denied');
    expect(denied?.severity).toBe('high');
    expect(denied?.message).toContain('research-lab/base-nc');
    expect(denied?.message).toContain('commercial use is not licensed');
    expect(denied?.message).toContain('NonCommercial');
    expect(report.compliance?.overall).toBe('denied');
    expect(report.gate.exitCode).toBe(1);
  });

  it('the same lineage is allowed for non-commercial internal research', async () => {
    const report = await auditCompliance(
      { 'README.md': card('license: mit', 'base_model: research-lab/base-nc') },
      {
        cards: { 'research-lab/base-nc/README.md': card('license: cc-by-nc-4.0') },
        policy: { intendedUse: { commercial: false, distribution: 'internal' } },
      },
    );
    expect(findingsOf(report, 'compliance/licence-use-denied')).toHaveLength(0);
    expect(report.compliance?.overall).toBe('allowed-with-obligations');
  });

  it('an ancestor that cannot be found is unknown, not permissive: high for commercial use', async () => {
    const report = await auditCompliance(
      { 'README.md': card('license: apache-2.0', 'base_model: ghost/missing-base') },
      { cards: {}, policy: COMMERCIAL_SAAS },
    );
    const node = report.compliance?.lineage.find((item) => item.model === 'ghost/missing-base');
    expect(node?.found).toBe('not-found');
    expect(report.compliance?.overall).toBe('unknown');
    const [unknown] = findingsOf(report, 'compliance/licence-ancestor-unknown');
    expect(unknown?.severity).toBe('high');
    expect(unknown?.message).toContain('ghost/missing-base');
    expect(report.gate.exitCode).toBe(1);
  });

  it('without an intended use an unknown ancestor is a medium finding and the gate passes', async () => {
    const report = await auditCompliance({ 'README.md': card('license: apache-2.0', 'base_model: ghost/missing') });
    expect(findingsOf(report, 'compliance/licence-ancestor-unknown')[0]?.severity).toBe('medium');
    expect(report.compliance?.overall).toBe('not-evaluated');
    expect(report.gate.exitCode).toBe(0);
  });

  it('a merge (base_model list) binds every parent', async () => {
    const report = await auditCompliance(
      { 'README.md': card('license: apache-2.0', 'base_model: [a/one, b/two]') },
      {
        cards: { 'a/one/README.md': card('license: gemma'), 'b/two/README.md': card('license: llama3.1') },
        policy: COMMERCIAL_SAAS,
      },
    );
    const ids = report.compliance?.decisions.map((decision) => decision.licence.id).sort();
    expect(ids).toEqual(['apache-2.0', 'gemma', 'llama3.1']);
  });

  it('cycles stop and every model appears once', async () => {
    const report = await auditCompliance(
      { 'README.md': card('license: mit', 'base_model: x/a') },
      {
        cards: {
          'x/a/README.md': card('license: mit', 'base_model: x/b'),
          'x/b/README.md': card('license: mit', 'base_model: x/a'),
        },
      },
    );
    expect(report.compliance?.lineage.map((node) => node.model)).toEqual(['.', 'x/a', 'x/b']);
    expect(report.compliance?.lineage[1]?.childOf.sort()).toEqual(['.', 'x/b']);
  });

  it('a chain deeper than the limit ends in an unknown ancestor', async () => {
    const cards: Record<string, string> = {};
    for (let index = 0; index < 12; index++)
      cards[`chain/m${index}/README.md`] = card('license: mit', `base_model: chain/m${index + 1}`);
    const artifacts = await walkLineage(['chain/m0'], { cardsFolder: await tempFolder(cards), maxDepth: 4 });
    const facts = artifacts.flatMap((artifact) => factsOf(artifact, 'lineage-card'));
    expect(facts).toHaveLength(5);
    expect(facts.at(-1)).toMatchObject({ model: 'chain/m4', found: 'depth-limit' });
  });

  it('a --cards folder that does not exist is an error that names it', async () => {
    await expect(walkLineage(['a/b'], { cardsFolder: '/nonexistent/cards' })).rejects.toThrow(
      '--cards /nonexistent/cards: not a folder',
    );
  });

  it('a base_model that is not an org/name id is not looked up', async () => {
    const artifacts = await walkLineage(['../../etc/passwd'], {});
    expect(factsOf(artifacts[0]!, 'lineage-card')[0]).toMatchObject({ found: 'not-found' });
  });

  it('GGUF base models with a Hub repo URL start the walk when the card names none', async () => {
    const gguf = buildGguf({
      kv: [
        ['general.architecture', str('llama')],
        ['general.license', str('apache-2.0')],
        ['general.base_model.count', u32(1)],
        ['general.base_model.0.repo_url', str('https://huggingface.co/meta-llama/Llama-3.2-11B-Vision')],
      ],
    });
    const report = await auditCompliance(
      { 'model.gguf': gguf },
      {
        cards: {
          'meta-llama/Llama-3.2-11B-Vision/README.md': card('license: llama3.2', 'pipeline_tag: image-text-to-text'),
        },
      },
    );
    expect(report.compliance?.lineage[1]).toMatchObject({
      model: 'meta-llama/Llama-3.2-11B-Vision',
      licence: { id: 'llama3.2' },
    });
  });
});

describe('base_model lineage from the local Hugging Face cache', () => {
  it('reads the card of the snapshot refs/main points at, offline', async () => {
    const commit = 'a'.repeat(40);
    const cache = await tempFolder({
      'models--org--cached/refs/main': commit,
      [`models--org--cached/snapshots/${commit}/README.md`]: card('license: gemma'),
      'models--org--stale/snapshots/b/README.md': card('license: mit'),
    });
    const artifacts = await walkLineage(['org/cached', 'org/stale'], { hfCacheDir: cache });
    const facts = artifacts.flatMap((artifact) => factsOf(artifact, 'lineage-card'));
    expect(facts.find((fact) => fact.model === 'org/cached')).toMatchObject({
      found: 'hf-cache',
      card: { license: 'gemma' },
    });
    expect(facts.find((fact) => fact.model === 'org/stale')).toMatchObject({ found: 'not-found' });
  });
});

describe('base_model lineage from the Hub', () => {
  let endpoint = '';
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/org/base/resolve/main/README.md') {
      response.end(card('license: cc-by-nc-4.0'));
    } else {
      response.statusCode = 404;
      response.end('not found');
    }
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches README.md of each ancestor at the endpoint; a 404 is reported as not found', async () => {
    const artifacts = await walkLineage(['org/base', 'org/gone'], { hubEndpoint: endpoint });
    const facts = artifacts.flatMap((artifact) => factsOf(artifact, 'lineage-card'));
    expect(facts.find((fact) => fact.model === 'org/base')).toMatchObject({
      found: 'hub',
      card: { license: 'cc-by-nc-4.0' },
    });
    expect(facts.find((fact) => fact.model === 'org/gone')).toMatchObject({ found: 'not-found' });
    expect(facts.find((fact) => fact.model === 'org/gone')?.detail).toContain('HTTP 404');
    expect(requests).toContain('/org/base/resolve/main/README.md');
  });
});
