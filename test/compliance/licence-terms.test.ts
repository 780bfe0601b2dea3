import { describe, expect, it } from 'vitest';
import { decideLicence, type UseContext } from '../../src/compliance/licence-terms.js';
import { IntendedUse } from '../../src/core/policy.js';
import { LICENCES } from '../../src/knowledge/licences.js';

function decide(id: string, use: Record<string, unknown>, context: Partial<UseContext> = {}) {
  const entry = LICENCES.get(id);
  if (!entry) throw new Error(`no licence ${id}`);
  return decideLicence({ entry, models: ['.'] }, { use: IntendedUse.parse(use), derivative: false, ...context });
}

const saas = { commercial: true, distribution: 'saas', monthlyActiveUsers: 1000, regions: ['US'] };

describe('terms engine', () => {
  it('permissive licences allow commercial SaaS without obligations; redistribution keeps the notices', () => {
    expect(decide('apache-2.0', saas).decision.decision).toBe('allowed');
    const shipped = decide('apache-2.0', { ...saas, distribution: 'redistribute-weights' });
    expect(shipped.decision.decision).toBe('allowed-with-obligations');
    expect(shipped.obligations[0]?.clause).toBe('§4 Redistribution');
  });

  it('Llama: above 700M monthly active users is denied under §2', () => {
    const result = decide('llama3.1', { ...saas, monthlyActiveUsers: 800_000_000 });
    expect(result.decision.decision).toBe('denied');
    expect(result.decision.reasons[0]).toMatchObject({ clause: '§2 Additional Commercial Terms' });
  });

  it('Llama 3 forbids improving other LLMs with its outputs (§1.b.v); Llama 3.1 dropped the clause', () => {
    const use = { ...saas, usesOutputsToTrainModels: true };
    expect(decide('llama3', use).decision).toMatchObject({ decision: 'denied', reasons: [{ clause: '§1.b.v' }] });
    expect(decide('llama3.1', use).decision.decision).not.toBe('denied');
  });

  it('Llama 3.2: EU companies get no rights for multimodal models; text-only models are fine', () => {
    const eu = { ...saas, regions: ['DE'] };
    expect(decide('llama3.2', eu, { multimodal: true }).decision.decision).toBe('denied');
    expect(decide('llama3.2', eu, { multimodal: false }).decision.decision).toBe('allowed-with-obligations');
    const unknown = decide('llama3.2', eu);
    expect(unknown.obligations.map((item) => item.text).join()).toContain('confirm the model is text-only');
    expect(decide('llama4', eu).decision.decision).toBe('denied');
  });

  it('Llama attribution and naming obligations read "Built with Llama" and the "Llama" prefix', () => {
    const result = decide(
      'llama3.3',
      { ...saas, distribution: 'redistribute-finetune' },
      { modelName: 'Llama-3.3-acme' },
    );
    const texts = result.obligations.map((item) => item.text).join('\n');
    expect(texts).toContain('display "Built with Llama"');
    expect(texts).toContain('must begin with "Llama":');
    expect(texts).toContain('Llama 3.3 is licensed under the Llama 3.3 Community License');
  });

  it('OpenRAIL use restrictions deny a forbidden use case and flow down otherwise', () => {
    const medical = decide('creativeml-openrail-m', { ...saas, useCases: ['medical-advice'] });
    expect(medical.decision).toMatchObject({ decision: 'denied', reasons: [{ clause: '§5 and Attachment A' }] });
    const fine = decide('creativeml-openrail-m', { ...saas, useCases: ['customer-support'] });
    expect(fine.obligations[0]?.text).toContain('pass the use restrictions on');
  });

  it('NoDerivatives denies shipping a fine-tune; ShareAlike obliges the same licence', () => {
    const finetune = { ...saas, distribution: 'redistribute-finetune' };
    expect(decide('cc-by-nd-4.0', finetune).decision.decision).toBe('denied');
    expect(decide('cc-by-nd-4.0', saas).decision.decision).toBe('allowed');
    expect(decide('cc-by-sa-4.0', finetune).obligations.map((item) => item.clause)).toContain('§3(b) ShareAlike');
  });

  it('research-only licences deny commercial use and oblige research use otherwise', () => {
    expect(decide('deepfloyd-if-license', saas).decision.decision).toBe('denied');
    expect(decide('deepfloyd-if-license', { commercial: false }).decision.decision).toBe('allowed-with-obligations');
  });

  it('revenue caps: Stability AI Community above US$1M is denied', () => {
    expect(decide('stabilityai-community', { ...saas, annualRevenueUSD: 50_000_000 }).decision.decision).toBe('denied');
    expect(decide('stabilityai-community', { ...saas, annualRevenueUSD: 500_000 }).decision.decision).toBe(
      'allowed-with-obligations',
    );
  });

  it('AGPL obliges source for a network service; GPL only when distributing', () => {
    expect(decide('agpl-3.0', saas).decision.decision).toBe('allowed-with-obligations');
    expect(decide('gpl-3.0', saas).decision.decision).toBe('allowed');
  });
});
