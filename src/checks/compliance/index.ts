import { licenceAnalysis } from '../../compliance/licence-analysis.js';
import type { SectionBuilder } from '../../core/audit.js';
import type { ModelRule } from '../model-rule.js';
import { LICENCE_RULES } from './licence.js';

/** Compliance rules; they run in `assay audit`, not in `assay scan`. */
export const COMPLIANCE_MODEL_RULES: readonly ModelRule[] = [...LICENCE_RULES];

/** The report's `compliance` section: licence evidence, lineage, decisions for the intended use, obligations. */
export const complianceSection: SectionBuilder = (artifacts, context) => ({
  compliance: licenceAnalysis(artifacts, context.policy),
});
