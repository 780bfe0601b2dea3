/**
 * Id of the rule whose findings mean "this content could not be analysed" (fail closed). It lives in core because
 * the pipeline (exit code 2), the renderers (limitations in the ML-BOM) and the rule itself all need it, and neither
 * core nor report may import checks.
 */
export const NOT_ANALYSED_RULE_ID = 'security/not-analysed';
