import type { Reference } from '../../core/finding.js';
import type { Severity } from '../../core/severity.js';
import type { ChatTemplateFact, TemplateStep } from '../../formats/chat-template.js';
import { factsOf } from '../../formats/facts.js';
import { isPrivateName, type TemplateGadget, templateGadget } from '../../knowledge/template-gadgets.js';
import { type ArtifactRule, at, where } from '../artifact-rule.js';

type Access = Extract<ChatTemplateFact, { kind: 'chat-template-access' }>;

export const CHAT_TEMPLATE_REFERENCES: Reference[] = [
  { kind: 'cve', id: 'CVE-2024-34359', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-34359' },
  {
    kind: 'ghsa',
    id: 'GHSA-56xg-wfcc-g829',
    url: 'https://github.com/abetlen/llama-cpp-python/security/advisories/GHSA-56xg-wfcc-g829',
  },
  { kind: 'cwe', id: 'CWE-1336', url: 'https://cwe.mitre.org/data/definitions/1336.html' },
];

/** One reason an access path is dangerous. */
interface Hit {
  severity: Severity;
  name: string;
  reason: string;
  /** How the name was built when it was not written out (concat, join, format, escape, ...). */
  built?: string[];
}

const ACCESS_OPS = new Set<TemplateStep['op']>(['attribute', 'item']);

/** Judges one access path against the gadget table: what it reaches and how. */
function judgeAccess(access: Access): Hit[] {
  const hits: Hit[] = [];
  const [first] = access.steps;
  const root = /^[A-Za-z_]\w*$/.test(access.root) && !access.local ? templateGadget(access.root) : undefined;
  if (root) {
    const reaches = first !== undefined && ACCESS_OPS.has(first.op);
    if (root.family === 'dunder') hits.push(hit('critical', root));
    else if (root.family === 'sink' && first !== undefined) hits.push(hit('critical', root));
    else if ((root.family === 'entry-point' || root.family === 'framework') && reaches) {
      hits.push(hit('critical', root, undefined, `${root.reason}; the template reads an attribute of it`));
    } else if (root.family === 'entry-point' && first?.op === 'filter') {
      hits.push(
        hit(
          'high',
          root,
          undefined,
          `${root.reason}; the template filters the function itself (harvesting characters from its repr)`,
        ),
      );
    }
  }
  for (const step of access.steps) {
    if (!ACCESS_OPS.has(step.op)) continue;
    if (step.name === undefined) {
      if (step.op === 'attribute' && step.via !== undefined && step.via !== 'slice') {
        hits.push({
          severity: 'high',
          name: '?',
          reason: `an attribute name computed at render time (${step.via}) cannot be checked without running the template`,
        });
      }
      continue;
    }
    const gadget = templateGadget(step.name);
    if (gadget && (gadget.family === 'dunder' || gadget.family === 'sink')) {
      hits.push(hit('critical', gadget, step.built));
    } else if (step.op === 'attribute' && isPrivateName(step.name)) {
      hits.push({
        severity: 'high',
        name: step.name,
        reason: "a private attribute; jinja2's sandbox refuses names starting with '_'",
        built: step.built,
      });
    } else if (step.built?.includes('escape') && step.name.startsWith('_')) {
      hits.push({
        severity: 'high',
        name: step.name,
        reason: 'an underscore name spelled with escapes',
        built: step.built,
      });
    }
  }
  return hits;
}

function hit(severity: Severity, gadget: TemplateGadget, built?: string[], reason = gadget.reason): Hit {
  return built && built.length > 0
    ? { severity, name: gadget.name, reason, built }
    : { severity, name: gadget.name, reason };
}

const RANK: Record<string, number> = { critical: 2, high: 1 };

export const chatTemplateInjection: ArtifactRule = {
  meta: {
    id: 'security/chat-template-injection',
    pillar: 'security',
    severity: 'critical',
    title: 'Chat template reaches Python internals (Jinja server-side template injection)',
    description:
      'Chat templates (tokenizer_config.json `chat_template`, chat_template.jinja, GGUF `tokenizer.chat_template`) are ' +
      'Jinja programs run by the loader. A template that walks dunder attributes (`__class__`, `__globals__`, ' +
      '`__subclasses__`), reads attributes of Jinja globals (`cycler.__init__`), reaches `os`, `eval` or `__import__`, ' +
      'or builds such names with `~`, `|join`, `|format`, `|attr` or escapes, runs code in any loader that renders it ' +
      "without jinja2's sandbox (llama-cpp-python before 0.2.72: CVE-2024-34359). Assay parses the template into an " +
      'AST, folds constant strings, and never renders it. Private attributes and attribute names computed at render ' +
      'time are reported at high severity.',
    remediation:
      'Do not load this model with a loader that renders templates unsandboxed. Replace the chat template with the ' +
      "base model's published one, or ask the publisher why it needs Python internals.",
    references: CHAT_TEMPLATE_REFERENCES,
  },
  *check(artifact) {
    const byTemplate = new Map<string, { access: Access; hits: Hit[] }[]>();
    for (const access of factsOf(artifact, 'chat-template-access')) {
      const hits = judgeAccess(access);
      if (hits.length === 0) continue;
      const list = byTemplate.get(access.template) ?? [];
      list.push({ access, hits });
      byTemplate.set(access.template, list);
    }
    const identities = new Map(factsOf(artifact, 'chat-template').map((fact) => [fact.template, fact]));
    for (const [template, found] of byTemplate) {
      const worstOf = (hits: Hit[]) => Math.max(...hits.map((item) => RANK[item.severity] ?? 0));
      // The worst path first; among equals, the one that reaches furthest. Its deepest worst hit names the finding.
      found.sort((a, b) => worstOf(b.hits) - worstOf(a.hits) || b.hits.length - a.hits.length);
      const top = found[0];
      const topHit = top.hits.filter((item) => (RANK[item.severity] ?? 0) === worstOf(top.hits)).at(-1)!;
      const severity: Severity = worstOf(top.hits) >= 2 ? 'critical' : 'high';
      const identity = identities.get(template);
      const position = top.access.line ? ` at line ${top.access.line}, column ${top.access.column}` : '';
      const built = topHit.built?.length ? ` (name built by ${topHit.built.join(', ')})` : '';
      const gguf = template.startsWith('tokenizer.chat_template') ? ' of this GGUF file' : '';
      const location = at(artifact, top.access.offset);
      if (identity?.wholeFile && top.access.line) location.location = { ...location.location, line: top.access.line };
      yield {
        severity,
        message:
          `Chat template ${JSON.stringify(template)}${gguf} reaches ${topHit.name}${built} through ` +
          `\`${truncate(top.access.path)}\`${position}: ${topHit.reason}${where(artifact)}`,
        ...location,
        evidence: {
          template,
          sha256: identity?.sha256,
          length: identity?.length,
          paths: found.slice(0, 20).map(({ access, hits }) => ({
            path: truncate(access.path),
            line: access.line,
            column: access.column,
            aliases: access.aliases,
            reaches: hits.map((item) => ({
              name: item.name,
              severity: item.severity,
              reason: item.reason,
              ...(item.built ? { built: item.built } : {}),
            })),
          })),
          moreTargets: Math.max(0, found.length - 20),
        },
      };
    }
  },
};

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export const CHAT_TEMPLATE_RULES: readonly ArtifactRule[] = [chatTemplateInjection];
