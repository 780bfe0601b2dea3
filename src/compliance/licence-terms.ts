/**
 * The terms engine: each licence in the lineage decided against the policy's intended use — allowed, allowed with
 * obligations, or denied — with the clause behind every reason. Not legal advice: the reasons are for a lawyer to check.
 */
import type { IntendedUse } from '../core/policy.js';
import type { LicenceDecision, Obligation } from '../core/sections/compliance.js';
import type { LicenceEntry, LicenceTerm } from '../knowledge/licences.js';

export interface LicenceInLineage {
  entry: LicenceEntry;
  /** Models under this licence ("." is the audited model). */
  models: string[];
}

export interface UseContext {
  use: IntendedUse;
  /** Whether the audited model takes images, audio or video (undefined: not known). */
  multimodal?: boolean;
  /** The audited model's name, for naming rules. */
  modelName?: string;
  /** The audited model has ancestors: it is a derivative of their licensed material. */
  derivative: boolean;
}

/** EU member states (ISO 3166-1 alpha-2), so `regions: [DE]` counts as the EU. */
const EU = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE'.split(' ').concat(['EU', 'EEA']),
);

interface Verdict {
  denied: { clause: string; text: string }[];
  obligations: { clause: string; text: string }[];
}

export function decideLicence(
  licence: LicenceInLineage,
  context: UseContext,
): { decision: LicenceDecision; obligations: Obligation[] } {
  const verdict: Verdict = { denied: [], obligations: [] };
  for (const term of licence.entry.terms) judgeTerm(term, context, verdict);
  const ref = { id: licence.entry.id, spdx: licence.entry.spdx, name: licence.entry.name };
  const decision =
    verdict.denied.length > 0 ? 'denied' : verdict.obligations.length > 0 ? 'allowed-with-obligations' : 'allowed';
  return {
    decision: {
      licence: ref,
      models: licence.models,
      decision,
      reasons: verdict.denied.length > 0 ? verdict.denied : verdict.obligations,
    },
    obligations: verdict.obligations.map((item) => ({ licence: licence.entry.id, models: licence.models, ...item })),
  };
}

function judgeTerm(term: LicenceTerm, context: UseContext, verdict: Verdict): void {
  const { use } = context;
  const deny = (text: string) => verdict.denied.push({ clause: term.clause, text });
  const oblige = (text: string) => verdict.obligations.push({ clause: term.clause, text });
  const redistributes = use.distribution === 'redistribute-weights' || use.distribution === 'redistribute-finetune';
  const madeAvailable = use.distribution !== 'internal';
  switch (term.kind) {
    case 'non-commercial':
      if (use.commercial) deny(`commercial use is not licensed: ${term.summary}`);
      else oblige(`keep the use non-commercial: ${term.summary}`);
      return;
    case 'research-only':
      if (use.commercial) deny(`commercial use is not licensed: ${term.summary}`);
      else oblige(`use for research only: ${term.summary}`);
      return;
    case 'mau-threshold': {
      const limit = term.monthlyActiveUsers.toLocaleString('en-US');
      if (use.monthlyActiveUsers !== undefined && use.monthlyActiveUsers > term.monthlyActiveUsers)
        deny(
          `${use.monthlyActiveUsers.toLocaleString('en-US')} monthly active users is above ${limit}: ${term.summary}`,
        );
      else if (use.commercial && use.monthlyActiveUsers === undefined)
        oblige(
          `confirm fewer than ${limit} monthly active users (intendedUse.monthlyActiveUsers is not set): ${term.summary}`,
        );
      return;
    }
    case 'revenue-threshold': {
      const limit = `US$${term.annualRevenueUSD.toLocaleString('en-US')}`;
      if (!use.commercial) return;
      if (use.annualRevenueUSD !== undefined && use.annualRevenueUSD > term.annualRevenueUSD)
        deny(`annual revenue US$${use.annualRevenueUSD.toLocaleString('en-US')} is above ${limit}: ${term.summary}`);
      else if (use.annualRevenueUSD === undefined)
        oblige(`confirm annual revenue below ${limit} (intendedUse.annualRevenueUSD is not set): ${term.summary}`);
      return;
    }
    case 'attribution':
      if (term.when === 'any-use' ? madeAvailable : redistributes) oblige(term.summary);
      return;
    case 'ship-licence':
      if (redistributes) oblige(term.notice ? `${term.summary}; the notice reads: "${term.notice}"` : term.summary);
      return;
    case 'derivative-naming': {
      // The naming rule binds models built from the licensed material that are distributed or made available.
      const shipsDerivative = use.distribution === 'redistribute-finetune' || (context.derivative && madeAvailable);
      if (!shipsDerivative) return;
      const name = context.modelName;
      const mismatch =
        name && !name.toLowerCase().startsWith(term.prefix.toLowerCase())
          ? ` (the card names the model "${name}", which does not)`
          : '';
      oblige(`the model's name must begin with "${term.prefix}"${mismatch}: ${term.summary}`);
      return;
    }
    case 'output-training-ban':
      if (use.usesOutputsToTrainModels) deny(`outputs are used to train other models: ${term.summary}`);
      else oblige(`do not use outputs to train or improve other models: ${term.summary}`);
      return;
    case 'use-restrictions': {
      const forbidden = use.useCases.filter((useCase) => (term.forbiddenUseCases as string[]).includes(useCase));
      if (forbidden.length > 0) deny(`use case ${forbidden.join(', ')} is restricted: ${term.summary}`);
      else if (madeAvailable || redistributes)
        oblige(`pass the use restrictions on to your users and licensees in your terms: ${term.summary}`);
      else oblige(`keep your own use within the restrictions: ${term.summary}`);
      return;
    }
    case 'geo-exclusion': {
      const excluded = use.regions.filter((region) => term.regions.includes('EU') && EU.has(region.toUpperCase()));
      if (excluded.length === 0) return;
      if (term.modality === 'any' || context.multimodal === true)
        deny(`regions ${excluded.join(', ')} are excluded: ${term.summary}`);
      else if (context.multimodal === undefined)
        oblige(
          `confirm the model is text-only (set intendedUse.modality); for a multimodal model regions ${excluded.join(', ')} are excluded: ${term.summary}`,
        );
      return;
    }
    case 'share-alike':
      if (redistributes) oblige(`license what you share under the same licence: ${term.summary}`);
      return;
    case 'no-derivatives':
      if (use.distribution === 'redistribute-finetune' || (context.derivative && redistributes))
        deny(`sharing an adaptation is not licensed: ${term.summary}`);
      return;
    case 'copyleft':
      if (redistributes || (term.network && use.distribution === 'saas'))
        oblige(`offer the corresponding source under the same licence: ${term.summary}`);
      return;
  }
}

/** Every term as a condition, for reports without an intended use. */
export function conditionalObligations(licence: LicenceInLineage): Obligation[] {
  return licence.entry.terms.map((term) => ({
    licence: licence.entry.id,
    models: licence.models,
    clause: term.clause,
    text: term.summary,
  }));
}
