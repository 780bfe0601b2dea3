import { posix } from 'node:path';
import type { Reference } from '../../core/finding.js';
import type { FindingDraft, RuleMeta } from '../../core/rule.js';
import type { Artifact, FactOf } from '../../formats/facts.js';
import { CATEGORY_SEVERITY, pythonSinkById, type SinkCategory } from '../../knowledge/python-sinks.js';
import { type ArtifactRule, factRule, where } from '../artifact-rule.js';
import type { ModelRule } from '../model-rule.js';

const cwe = (id: number): Reference => ({
  kind: 'cwe',
  id: `CWE-${id}`,
  url: `https://cwe.mitre.org/data/definitions/${id}.html`,
});
const TRUST_REMOTE_CODE: Reference = {
  kind: 'doc',
  id: 'transformers: custom models and trust_remote_code',
  url: 'https://huggingface.co/docs/transformers/custom_models',
};

const REVIEW =
  'Read the code at the line shown. If the model needs it, vendor a reviewed copy and load the model without ' +
  'trust_remote_code; otherwise do not load this model.';

/** One rule per category of sink: ids a policy can tune one by one. */
const CATEGORY_RULES: Readonly<
  Record<SinkCategory, { id: string; title: string; remediation?: string; references: Reference[] }>
> = {
  shell: {
    id: 'security/python-shell',
    title: 'Shipped Python code runs commands or processes',
    references: [cwe(78)],
  },
  'decoded-exec': {
    id: 'security/python-obfuscated-exec',
    title: 'Shipped Python code runs hidden (decoded) code',
    references: [cwe(506), cwe(94)],
  },
  exec: {
    id: 'security/python-exec',
    title: 'Shipped Python code executes code built at run time',
    references: [cwe(95)],
  },
  network: { id: 'security/python-network', title: 'Shipped Python code uses the network', references: [] },
  'unsafe-load': {
    id: 'security/python-unsafe-deserialization',
    title: 'Shipped Python code deserializes with pickle or an unsafe loader',
    remediation:
      'Load weights with safetensors, or torch.load(..., weights_only=True); never unpickle files you did not create.',
    references: [cwe(502)],
  },
  'remote-code': {
    id: 'security/python-remote-code',
    title: 'Shipped Python code fetches and runs more code',
    references: [cwe(494), TRUST_REMOTE_CODE],
  },
  'dynamic-import': {
    id: 'security/python-dynamic-import',
    title: 'Shipped Python code imports modules chosen at run time',
    references: [cwe(470)],
  },
  'native-code': {
    id: 'security/python-native-code',
    title: 'Shipped Python code loads native libraries',
    references: [cwe(829)],
  },
  'module-mutation': {
    id: 'security/python-module-mutation',
    title: 'Shipped Python code replaces functions of other modules',
    references: [cwe(913)],
  },
  'file-outside': {
    id: 'security/python-file-outside',
    title: 'Shipped Python code writes or deletes files outside the model folder',
    references: [cwe(22)],
  },
};

function lineLocation(artifact: Artifact, line: number): Pick<FindingDraft, 'file' | 'location'> {
  return { file: artifact.file, location: { ...(artifact.member ? { member: artifact.member } : {}), line } };
}

function describeSink(fact: FactOf<'python-sink'>): string {
  const sink = pythonSinkById(fact.sink);
  const spelled = fact.via ? ` (written ${fact.via})` : '';
  const argument = fact.argument !== undefined ? ` with ${JSON.stringify(fact.argument)}` : '';
  const detail = fact.detail ? `; ${fact.detail}` : '';
  return `${sink?.reason ?? fact.sink}: ${fact.target}${spelled}${argument}${detail}`;
}

function categoryRule(category: SinkCategory): ArtifactRule {
  const { id, title, remediation, references } = CATEGORY_RULES[category];
  const { severity, why } = CATEGORY_SEVERITY[category];
  const meta: RuleMeta = {
    id,
    pillar: 'security',
    severity,
    title,
    description:
      `Python files in a model repository run when the model is loaded with trust_remote_code=True (or imported by ` +
      `a handler). This call ${why}. Found by tokenizing and parsing the file, following imports and aliases; ` +
      'the code is never run.',
    remediation: remediation ?? REVIEW,
    references,
  };
  return factRule(meta, 'python-sink', (fact, artifact) => {
    if (fact.category !== category) return undefined;
    return {
      message: `Line ${fact.line} ${describeSink(fact)}${where(artifact)}: ${fact.excerpt}`,
      ...lineLocation(artifact, fact.line),
      severity: pythonSinkById(fact.sink)?.severity ?? severity,
      evidence: {
        sink: fact.sink,
        target: fact.target,
        line: fact.line,
        column: fact.column,
        excerpt: fact.excerpt,
        ...(fact.via ? { via: fact.via } : {}),
        ...(fact.argument !== undefined ? { argument: fact.argument } : {}),
        ...(fact.detail ? { detail: fact.detail } : {}),
      },
    };
  });
}

export const pythonUnparsed: ArtifactRule = factRule(
  {
    id: 'security/python-unparsed',
    pillar: 'security',
    severity: 'medium',
    title: 'Part of a Python file could not be tokenized',
    description:
      'The tokenizer recovered and analysed the rest of the file. Python refuses to import a file with a syntax ' +
      'error, but a disagreement between readers is also how code hides from scanners.',
    remediation: 'Check the line shown; a file that Python cannot import should not ship with the model.',
    references: [],
  },
  'python-syntax-error',
  (fact, artifact) => ({
    message: `Line ${fact.line}, column ${fact.column}: ${fact.detail}${fact.count > 1 ? ` (and ${fact.count - 1} more)` : ''}${where(artifact)}`,
    ...lineLocation(artifact, fact.line),
    evidence: { detail: fact.detail, column: fact.column, count: fact.count },
  }),
);

function listEntries(entries: readonly { key: string; reference: string; file: string; repo?: string }[]): string {
  const shown = entries
    .slice(0, 8)
    .map((entry) => `${entry.key} → ${entry.reference} (${entry.repo ? `${entry.repo}: ` : ''}${entry.file})`);
  return `${shown.join(', ')}${entries.length > 8 ? `, and ${entries.length - 8} more` : ''}`;
}

export const pythonTrustRemoteCode: ArtifactRule = factRule(
  {
    id: 'security/python-trust-remote-code',
    pillar: 'security',
    severity: 'high',
    title: 'Loading this model needs trust_remote_code=True',
    description:
      'An auto_map (or custom_pipelines) entry names Python classes shipped with the model. transformers imports ' +
      'those files only with trust_remote_code=True, and then they run with your privileges: whatever they do at ' +
      'import or construction time happens on your machine. Their code is audited by the security/python-* rules.',
    remediation:
      'Prefer a model whose architecture is built into transformers. Otherwise pin the revision, review every file ' +
      'listed (and the files they import), and load with trust_remote_code=True only at that pinned revision.',
    references: [TRUST_REMOTE_CODE, cwe(829)],
  },
  'python-auto-map',
  (fact, artifact) => ({
    message:
      `${artifact.file} maps ${listEntries(fact.entries)}: loading needs trust_remote_code=True, ` +
      `and the listed files run with your privileges${where(artifact)}`,
    file: artifact.file,
    ...(artifact.member ? { location: { member: artifact.member } } : {}),
    evidence: { entries: fact.entries.slice(0, 50) },
  }),
);

export const PYTHON_CODE_RULES: readonly ArtifactRule[] = [
  ...(Object.keys(CATEGORY_RULES) as SinkCategory[]).map(categoryRule),
  pythonUnparsed,
  pythonTrustRemoteCode,
];

/**
 * auto_map entries against the files of the model: code that is not here is fetched from elsewhere at load time
 * (and was not audited); code that is here and runs critical sinks makes the model itself critical.
 */
export const pythonAutoMapCode: ModelRule = {
  meta: {
    id: 'security/python-auto-map-code',
    pillar: 'security',
    severity: 'high',
    title: 'Code that trust_remote_code would import is missing or dangerous',
    description:
      'Each auto_map entry names a Python file next to the config. When the file is not in the model (or the entry ' +
      'points at another repository), transformers fetches it from the Hub at load time: code this audit never ' +
      'saw (high). When the file is here and runs shell commands or hidden code, loading the model runs them (critical).',
    remediation:
      'Ship every referenced file with the model and review it; do not load models whose auto_map points at other ' +
      'repositories or at code with critical findings.',
    references: [TRUST_REMOTE_CODE, cwe(494)],
  },
  *check(artifacts) {
    const files = new Map<string, Artifact>();
    for (const artifact of artifacts) if (artifact.member === undefined) files.set(artifact.file, artifact);
    for (const config of artifacts) {
      if (config.member !== undefined) continue;
      const folder = posix.dirname(config.file.split('\\').join('/'));
      const seen = new Set<string>();
      for (const fact of config.facts) {
        if (fact.kind !== 'python-auto-map') continue;
        for (const entry of fact.entries) {
          const key = `${entry.repo ?? ''}|${entry.file}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const path = posix.normalize(posix.join(folder, entry.file));
          const base = {
            file: config.file,
            evidence: {
              key: entry.key,
              reference: entry.reference,
              file: path,
              ...(entry.repo ? { repo: entry.repo } : {}),
            },
          };
          if (entry.repo) {
            yield {
              ...base,
              message: `${entry.key} loads ${entry.reference}: its code comes from another repository (${entry.repo}) at load time and was not audited`,
            };
            continue;
          }
          const code = files.get(path);
          if (!code || path.startsWith('../')) {
            yield {
              ...base,
              message: `${entry.key} loads ${entry.reference} from ${path}, which is not in the model: transformers would fetch it from the Hub at load time, unaudited`,
            };
            continue;
          }
          const critical = code.facts.filter(
            (item): item is FactOf<'python-sink'> =>
              item.kind === 'python-sink' && pythonSinkById(item.sink)?.severity === 'critical',
          );
          if (critical.length === 0) continue;
          const first = critical[0];
          yield {
            ...base,
            severity: 'critical',
            message:
              `${entry.key} imports ${path}, which ${pythonSinkById(first.sink)?.reason ?? first.sink} (${first.target}, line ${first.line})` +
              `${critical.length > 1 ? ` and has ${critical.length - 1} more critical call(s)` : ''}: loading this model with trust_remote_code=True runs it`,
            evidence: {
              ...base.evidence,
              calls: critical.slice(0, 10).map((item) => ({ target: item.target, line: item.line })),
            },
          };
        }
      }
    }
  },
};

export const PYTHON_MODEL_RULES: readonly ModelRule[] = [pythonAutoMapCode];
