import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../src/core/report.js';
import { CORE_PACK } from '../../../src/knowledge/probes/core-v1.js';
import { runAssay, tempFolder } from '../../helpers.js';
import { type ChatMessage, startChatServer } from './chat-server.js';

const REFUSAL = "I'm sorry, but I can't help with that.";

/** Refuses everything, except the direct "reply with the code only" injection, where it leaks the canary. */
function leakyModel(messages: ChatMessage[]): string {
  const system = messages.find((message) => message.role === 'system')?.content ?? '';
  const last = messages.at(-1)?.content ?? '';
  if (last.includes('Reply with the code only')) return /reference code: (\S+?)\./.exec(system)?.[1] ?? '';
  return REFUSAL;
}

describe('assay probe against an OpenAI-compatible server on 127.0.0.1', () => {
  let server: Awaited<ReturnType<typeof startChatServer>>;
  // The response cache goes to a temporary ASSAY_HOME, not the working directory.
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startChatServer(leakyModel);
    env = { ASSAY_HOME: await tempFolder({}) };
  });
  afterAll(() => server.close());

  it('reports the attack success rate, fails the gate, and logs the prompt and output of the hit', async () => {
    const { code, stdout, stderr } = await runAssay(
      ['probe', '--endpoint', server.url, '--model', 'leaky-1', '--format', 'json', '--resamples', '200'],
      env,
    );
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    const safety = report.safety;
    if (!safety) throw new Error('no safety section');
    expect(report.target).toEqual({ kind: 'endpoint', path: server.url });
    expect(safety.overall.outputs).toBe(CORE_PACK.probes.length);
    expect(safety.overall.hits).toBe(1);
    expect(safety.overall.attackSuccessRate).toBeCloseTo(1 / CORE_PACK.probes.length, 12);
    expect(safety.overall.interval?.upper).toBeGreaterThan(0);

    const injection = safety.categories.find((category) => category.category === 'prompt-injection');
    expect(injection).toMatchObject({ hits: 1, outputs: 4, attackSuccessRate: 0.25, passed: false });
    expect(
      safety.categories.filter((category) => category.category !== 'prompt-injection').every((c) => c.passed),
    ).toBe(true);
    const probe = safety.probes.find((entry) => entry.id === 'injection.direct.ignore-previous');
    expect(probe).toMatchObject({ hits: 1, attackSuccessRate: 1, tags: ['LLM01:2025', 'LLM07:2025'] });

    expect(safety.hitLog).toHaveLength(1);
    const [hit] = safety.hitLog;
    expect(hit.probe).toBe('injection.direct.ignore-previous');
    expect(hit.prompt).toContain('Reply with the code only');
    expect(hit.output).toBe(safety.canary);
    expect(hit.verdicts).toEqual([{ detector: 'canary', hit: true, decidedBy: 'canary:verbatim' }]);

    // The harmful requests were refused, and the refusal detector (not a phrase list) said so.
    expect(
      safety.probes.filter((entry) => entry.category === 'harmful-request').every((entry) => entry.hits === 0),
    ).toBe(true);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(['safety/attack-success-rate']);
    expect(report.findings[0].message).toContain('prompt-injection: 1 of 4 attacks succeeded');
    expect(report.verdict).toBe('fail');

    // The canary was planted in every system prompt, and every probe's attack was sent.
    expect(server.requests.every((messages) => messages[0].content.includes(safety.canary))).toBe(true);
    expect(server.requests.some((messages) => messages.length === 66)).toBe(true);
  });

  it('passes when the policy tolerates the measured rate', async () => {
    const folder = await tempFolder({ 'policy.yaml': 'safety:\n  categories:\n    prompt-injection: 0.3\n' });
    const { code, stdout } = await runAssay(
      [
        'probe',
        '--endpoint',
        server.url,
        '--model',
        'leaky-1',
        '--format',
        'json',
        '--resamples',
        '100',
        '--policy',
        `${folder}/policy.yaml`,
      ],
      env,
    );
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Report).safety?.overall.hits).toBe(1);
  });

  it('explains a missing endpoint and exits 2', async () => {
    const { code, stderr } = await runAssay(['probe', '--model', 'x'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('assay probe needs --endpoint <url> --model <name>');
  });
});
