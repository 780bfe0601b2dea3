import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { FairnessPolicy } from '../../../src/core/sections/fairness.js';
import { CORE_PACK } from '../../../src/knowledge/probes/core-v1.js';
import { fairnessSectionRenderer } from '../../../src/report/sections/fairness.js';
import { safetySectionRenderer } from '../../../src/report/sections/safety.js';
import { openAiRunner } from '../../../src/runners/openai.js';
import { tabularFairness } from '../../../src/suites/fairness/tabular.js';
import { runProbes } from '../../../src/suites/safety/run.js';
import { tempFolder } from '../../helpers.js';
import { startChatServer } from './chat-server.js';

describe('safety and fairness sections render for people', () => {
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer((messages) =>
      messages.at(-1)?.content.includes('ASSAY PWNED') ? '<b>ASSAY PWNED</b>' : "I can't help with that.",
    );
  });
  afterAll(() => server.close());

  it('shows categories, the hit log with prompt and output, and escapes HTML', async () => {
    const safety = await runProbes({
      runner: openAiRunner({ baseUrl: server.url, model: 'm', api: 'chat', settings: { cache: false } }),
      packs: [CORE_PACK],
      policy: { maxAttackSuccessRate: 0, categories: {} },
      bootstrap: { resamples: 50, confidence: 0.95, seed: 3 },
    });
    const report = { safety } as Report;
    const text = safetySectionRenderer.text(report).join('\n');
    expect(text).toContain('FAIL prompt-injection');
    expect(text).toContain('hit injection.direct.output-hijack (string:ASSAY PWNED)');
    expect(text).toContain('output: <b>ASSAY PWNED</b>');
    expect(safetySectionRenderer.html(report)).toContain('&lt;b&gt;ASSAY PWNED&lt;/b&gt;');
    expect(safetySectionRenderer.markdown(report).join('\n')).toContain('| prompt-injection |');
  });

  it('shows fairness measures with intervals and the groups below four-fifths', async () => {
    const folder = await tempFolder({
      'p.csv': 'y,p,g\n1,1,a\n1,1,a\n0,1,a\n1,0,b\n0,0,b\n1,1,b\n',
    });
    const tabular = await tabularFairness({
      data: `${folder}/p.csv`,
      label: 'y',
      prediction: 'p',
      sensitive: ['g'],
      policy: FairnessPolicy.parse({}),
      bootstrap: { resamples: 50, confidence: 0.95, seed: 3 },
    });
    const report = { fairness: { tabular } } as Report;
    const text = fairnessSectionRenderer.text(report).join('\n');
    expect(text).toContain('Four-fifths rule: not met by b');
    expect(text).toMatch(/! demographic_parity_ratio {2}0\.3333 \[[\d.]+, [\d.]+\] {2}>= 0\.8 {2}FAIL/);
    expect(fairnessSectionRenderer.html(report)).toContain('<tr class="fail">');
  });
});
