import {
  DANGEROUS_ATTRIBUTES,
  DANGEROUS_GLOBALS,
  type GlobalEntry,
  KNOWN_SAFE_GLOBALS,
  ORDINARY_DUNDER_NAMES,
} from './pickle-globals.js';

export type GlobalVerdict = 'dangerous' | 'allowed' | 'policy-allowed' | 'unknown';

export interface GlobalClass {
  verdict: GlobalVerdict;
  /** The table entry (or policy reason) behind the verdict. */
  reason?: string;
  pattern?: string;
}

interface Tables {
  exactDeny: Map<string, GlobalEntry>;
  exactAllow: Map<string, GlobalEntry>;
  nameDeny: Map<string, GlobalEntry>;
  moduleEntries: Map<string, { entry: GlobalEntry; allow: boolean }>;
  attributes: Map<string, GlobalEntry>;
}

function index(
  deny: readonly GlobalEntry[],
  allow: readonly GlobalEntry[],
  attributes: readonly GlobalEntry[],
): Tables {
  const tables: Tables = {
    exactDeny: new Map(),
    exactAllow: new Map(),
    nameDeny: new Map(),
    moduleEntries: new Map(),
    attributes: new Map(attributes.map((entry) => [entry.pattern, entry])),
  };
  for (const [entries, allowed] of [
    [deny, false],
    [allow, true],
  ] as const) {
    for (const entry of entries) {
      if (entry.match === 'exact') (allowed ? tables.exactAllow : tables.exactDeny).set(entry.pattern, entry);
      else if (entry.match === 'name' && !allowed) tables.nameDeny.set(entry.pattern, entry);
      else if (entry.match === 'module') tables.moduleEntries.set(entry.pattern, { entry, allow: allowed });
    }
  }
  return tables;
}

const TABLES = index(DANGEROUS_GLOBALS, KNOWN_SAFE_GLOBALS, DANGEROUS_ATTRIBUTES);

/**
 * Looks a global up in the knowledge tables. Order: attribute chains and exact or by-name denials first,
 * then exact allowances (also the policy's), then the longest matching module entry; anything else is unknown.
 */
export function classifyGlobal(module: string, name: string, policyAllowed?: ReadonlyMap<string, string>): GlobalClass {
  const full = `${module}.${name}`;
  const parts = full.split('.');
  for (const part of parts.slice(1)) {
    const attribute = TABLES.attributes.get(part);
    if (attribute)
      return { verdict: 'dangerous', reason: `attribute chain through ${part}: ${attribute.reason}`, pattern: part };
    if (/^__\w+__$/.test(part) && !ORDINARY_DUNDER_NAMES.has(part)) {
      return { verdict: 'dangerous', reason: `attribute chain through ${part}`, pattern: part };
    }
  }
  const exactDeny = TABLES.exactDeny.get(full);
  if (exactDeny) return { verdict: 'dangerous', reason: exactDeny.reason, pattern: exactDeny.pattern };
  const nameDeny = TABLES.nameDeny.get(parts[parts.length - 1]);
  if (nameDeny) return { verdict: 'dangerous', reason: nameDeny.reason, pattern: `*.${nameDeny.pattern}` };
  const exactAllow = TABLES.exactAllow.get(full);
  if (exactAllow) return { verdict: 'allowed', reason: exactAllow.reason, pattern: exactAllow.pattern };
  for (let length = parts.length; length >= 1; length--) {
    const prefix = parts.slice(0, length).join('.');
    const moduleEntry = TABLES.moduleEntries.get(prefix);
    if (moduleEntry && !moduleEntry.allow) {
      return { verdict: 'dangerous', reason: moduleEntry.entry.reason, pattern: `${prefix}.*` };
    }
    const policyReason = policyAllowed?.get(prefix);
    if (policyReason !== undefined) return { verdict: 'policy-allowed', reason: policyReason, pattern: prefix };
    if (moduleEntry) return { verdict: 'allowed', reason: moduleEntry.entry.reason, pattern: `${prefix}.*` };
  }
  return { verdict: 'unknown' };
}
