/** Composition root: the built-in rules and the version, handed to the pipeline by the CLI. */
import { COMPLIANCE_MODEL_RULES, complianceSection } from './checks/compliance/index.js';
import { PERSONAL_DATA_RULES } from './checks/compliance/personal-data.js';
import { PRIVACY_MODEL_RULES, privacySection } from './checks/compliance/privacy.js';
import { FAIRNESS_RULES as FAIRNESS_RULE_LIST } from './checks/fairness/thresholds.js';
import { MODEL_RULES } from './checks/integrity/index.js';
import { EVALUATION_RULES as EVALUATION_RULE_LIST } from './checks/performance/evaluation.js';
import { HUB_RULES } from './checks/provenance/hub.js';
import { MODEL_CARD_RULES } from './checks/provenance/model-card.js';
import { SAFETY_RULES as SAFETY_RULE_LIST } from './checks/safety/probes.js';
import { RESPONSE_RULES as RESPONSE_RULE_LIST } from './checks/safety/responses.js';
import { SECURITY_RULES } from './checks/security/index.js';
import { dependenciesSection } from './checks/supply-chain/dependencies.js';
import type { SectionBuilder } from './core/audit.js';
import { NOT_ANALYSED_RULE_ID } from './core/not-analysed.js';
import { type Rule, type RuleMeta, RuleRegistry } from './core/rule.js';
import type { EvaluationSection } from './core/sections/evaluation.js';
import type { FairnessSection } from './core/sections/fairness.js';
import { buildModelSection } from './core/sections/model.js';
import type { ResponsesSection } from './core/sections/responses.js';
import type { SafetySection } from './core/sections/safety.js';
import type { Artifact } from './formats/facts.js';

export { VERSION } from './version.js';
/** Every built-in rule, keyed by its stable id (the registry refuses duplicates). */
export const BUILT_IN_RULES = new RuleRegistry<Artifact>([...SECURITY_RULES, ...HUB_RULES, ...MODEL_CARD_RULES]);
/** Rules that judge the whole model at once (cross-file checks). */
export const BUILT_IN_MODEL_RULES = new RuleRegistry<readonly Artifact[]>(MODEL_RULES);
/** Whole-model rules only `assay audit` runs (compliance: licences and lineage against the intended use). */
export const AUDIT_MODEL_RULES = new RuleRegistry<readonly Artifact[]>([
  ...COMPLIANCE_MODEL_RULES,
  ...PRIVACY_MODEL_RULES,
]);
/** Per-file rules only `assay audit` runs (privacy: personal data in shipped data files). */
export const AUDIT_RULES = new RuleRegistry<Artifact>(PERSONAL_DATA_RULES);
/** Rules `assay eval` runs on the evaluation section: thresholds, regressions, failed cases, edge cases, robustness. */
export const EVALUATION_RULES = new RuleRegistry<EvaluationSection>(EVALUATION_RULE_LIST);
/** Rules `assay probe` runs on the safety section (attack success against the policy). */
export const SAFETY_RULES = new RuleRegistry<SafetySection>(SAFETY_RULE_LIST);
/** Rules every behavioural run (probe, eval) applies to its outputs: the acceptable-response policy. */
export const RESPONSE_RULES = new RuleRegistry<ResponsesSection>(RESPONSE_RULE_LIST);
/** Rules `assay fairness` and `assay probe --pack counterfactual` run on the fairness section. */
export const FAIRNESS_RULES = new RuleRegistry<FairnessSection>(FAIRNESS_RULE_LIST);
export { NOT_ANALYSED_RULE_ID };

/** What `assay scan` (artifact security, integrity, supply chain, provenance) and `assay audit` (all pillars) run. */
export interface AuditPlan {
  rules: Rule<Artifact>[];
  modelRules: Rule<readonly Artifact[]>[];
  sections: SectionBuilder[];
}

export function auditPlan(command: 'scan' | 'audit'): AuditPlan {
  const scan: AuditPlan = {
    rules: BUILT_IN_RULES.all(),
    modelRules: BUILT_IN_MODEL_RULES.all(),
    sections: [buildModelSection, dependenciesSection],
  };
  if (command === 'scan') return scan;
  return {
    ...scan,
    rules: [...scan.rules, ...AUDIT_RULES.all()],
    modelRules: [...scan.modelRules, ...AUDIT_MODEL_RULES.all()],
    sections: [...scan.sections, complianceSection, privacySection],
  };
}

/** Metadata of every built-in rule, for reports, `assay rules` and the documentation pages. */
export function builtInRuleMetas(): RuleMeta[] {
  return [
    ...BUILT_IN_RULES.all(),
    ...BUILT_IN_MODEL_RULES.all(),
    ...AUDIT_RULES.all(),
    ...AUDIT_MODEL_RULES.all(),
    ...EVALUATION_RULES.all(),
    ...SAFETY_RULES.all(),
    ...FAIRNESS_RULES.all(),
    ...RESPONSE_RULES.all(),
  ].map((rule) => rule.meta);
}
