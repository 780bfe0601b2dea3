import type { Finding, Pillar, Reference } from './finding.js';
import type { Policy } from './policy.js';
import type { Severity } from './severity.js';

/** Rule metadata: everything the documentation page and the report need to explain a finding. */
export interface RuleMeta {
  id: string;
  pillar: Pillar;
  severity: Severity;
  title: string;
  description: string;
  remediation: string;
  references: Reference[];
}

/** What a rule returns: the parts of a finding that differ per occurrence. */
export interface FindingDraft {
  message: string;
  file?: string;
  location?: Finding['location'];
  evidence?: Record<string, unknown>;
  /** Overrides the rule's default severity when the occurrence warrants it (e.g. a nested payload). */
  severity?: Severity;
  references?: Reference[];
}

/** A rule judges parsed facts of one kind (`T`) and never reads bytes. */
export interface Rule<T> {
  meta: RuleMeta;
  check(subject: T, context: RuleContext): Iterable<FindingDraft>;
}

export interface RuleContext {
  /** Globals the policy accepts, keyed by "module.name", with the reason the user gave. */
  allowedGlobals: ReadonlyMap<string, string>;
  /** The policy in force (intended use, thresholds) for rules whose verdict depends on it. */
  policy: Policy;
}

export class RuleRegistry<T> {
  private readonly rules = new Map<string, Rule<T>>();

  constructor(rules: Iterable<Rule<T>> = []) {
    for (const rule of rules) this.add(rule);
  }

  add(rule: Rule<T>): void {
    if (this.rules.has(rule.meta.id)) throw new Error(`rule ${rule.meta.id} is registered twice`);
    this.rules.set(rule.meta.id, rule);
  }

  get(id: string): Rule<T> | undefined {
    return this.rules.get(id);
  }

  all(): Rule<T>[] {
    return [...this.rules.values()].sort((a, b) => a.meta.id.localeCompare(b.meta.id));
  }
}
