import { kerasCodeClass, kerasDangerousCallable, kerasNamespace } from '../../knowledge/keras-namespaces.js';
import { type ArtifactRule, at, factRule, where } from '../artifact-rule.js';

const CWE_94 = { kind: 'cwe', id: 'CWE-94', url: 'https://cwe.mitre.org/data/definitions/94.html' } as const;
const CVE_2025_1550 = {
  kind: 'cve',
  id: 'CVE-2025-1550',
  url: 'https://nvd.nist.gov/vuln/detail/CVE-2025-1550',
} as const;
const GHSA_48G7 = {
  kind: 'ghsa',
  id: 'GHSA-48g7-3x6r-xfhp',
  url: 'https://github.com/keras-team/keras/security/advisories/GHSA-48g7-3x6r-xfhp',
} as const;
const CVE_2025_9905 = {
  kind: 'cve',
  id: 'CVE-2025-9905',
  url: 'https://nvd.nist.gov/vuln/detail/CVE-2025-9905',
} as const;
const CVE_2025_9906 = {
  kind: 'cve',
  id: 'CVE-2025-9906',
  url: 'https://nvd.nist.gov/vuln/detail/CVE-2025-9906',
} as const;

export const kerasLambda: ArtifactRule = factRule(
  {
    id: 'security/keras-lambda',
    pillar: 'security',
    severity: 'critical',
    title: 'Keras model carries Python code (Lambda layer)',
    description:
      'A Lambda layer (or a Keras 3 `__lambda__` object) stores a Python function as bytecode or source and runs ' +
      'it when the model is built. `safe_mode` blocks it only for `.keras` files on recent Keras; legacy `.h5` ' +
      'loading ignores safe_mode (CVE-2025-9905). TFOpLambda layers only call a TensorFlow function by name.',
    remediation: 'Do not load this model; ask for a version whose layers are all standard Keras layers.',
    references: [CWE_94, CVE_2025_9905],
  },
  'keras-function',
  (fact, artifact) => {
    const entry = kerasCodeClass(fact.className);
    const carriesCode = fact.encoding !== 'name';
    const severity = carriesCode ? 'critical' : entry?.carries === 'named' ? 'medium' : 'high';
    return {
      message: `${fact.className} ${fact.layer ? `layer ${JSON.stringify(fact.layer)} ` : ''}at ${fact.path} carries a function as ${fact.encoding}: ${JSON.stringify(fact.preview)}${where(artifact)}`,
      ...at(artifact),
      severity,
      evidence: {
        source: fact.source,
        path: fact.path,
        className: fact.className,
        encoding: fact.encoding,
        functionType: fact.functionType,
        module: fact.module,
        function: fact.preview,
        length: fact.length,
      },
    };
  },
);

export const kerasModuleInjection: ArtifactRule = factRule(
  {
    id: 'security/keras-module-injection',
    pillar: 'security',
    severity: 'critical',
    title: 'Keras config imports a module outside Keras, or calls a dangerous Keras function',
    description:
      'Keras resolves `{"module": M, "class_name": C}` by importing M and calling C (or its from_config); before ' +
      'Keras 3.9.0 this held even in safe_mode (CVE-2025-1550). A config naming `os`, `builtins` or any package ' +
      "outside Keras' own namespaces runs that code on load. Inside Keras, functions such as " +
      '`enable_unsafe_deserialization` and `get_file` defeat safe_mode (CVE-2025-9906, CVE-2025-8747).',
    remediation:
      'Do not load this model. Upgrade Keras to 3.12 or later and load with safe_mode=True; ask the producer why ' +
      'the config names this module.',
    references: [CWE_94, CVE_2025_1550, GHSA_48G7, CVE_2025_9906],
  },
  'keras-object',
  (fact, artifact) => {
    const outside = fact.module !== undefined && !kerasNamespace(fact.module);
    const dangerous =
      kerasDangerousCallable(fact.functionName) ??
      kerasDangerousCallable(fact.className === 'function' ? undefined : fact.className);
    if (!outside && !dangerous) return undefined;
    const name = `${fact.module ?? '(no module)'}.${fact.functionName ?? fact.className}`;
    const why = dangerous ? dangerous.reason : "the module is outside Keras' own namespaces and is imported on load";
    return {
      message: `${fact.count} object(s) at ${fact.path} name ${name}: ${why}${where(artifact)}`,
      ...at(artifact),
      evidence: {
        source: fact.source,
        path: fact.path,
        module: fact.module,
        className: fact.className,
        registeredName: fact.registeredName,
        functionName: fact.functionName,
      },
    };
  },
);

export const kerasCustomObject: ArtifactRule = factRule(
  {
    id: 'security/keras-custom-object',
    pillar: 'security',
    severity: 'medium',
    title: 'Keras config needs a custom class registered outside Keras',
    description:
      "The object's registered_name belongs to a package outside Keras. Keras only looks it up among classes the " +
      'loading program registered itself, so the model cannot import code on its own; but whoever loads it must ' +
      'supply that code and should know where it comes from.',
    remediation: 'Find the package that defines the class and review it before loading the model.',
    references: [],
  },
  'keras-object',
  (fact, artifact) => {
    if (fact.module !== undefined || !fact.registeredName?.includes('>')) return undefined;
    const [pkg] = fact.registeredName.split('>');
    if (kerasNamespace(pkg)) return undefined;
    return {
      message: `${fact.count} object(s) at ${fact.path} need the custom class ${fact.registeredName}${where(artifact)}`,
      ...at(artifact),
      evidence: {
        source: fact.source,
        path: fact.path,
        className: fact.className,
        registeredName: fact.registeredName,
      },
    };
  },
);

export const KERAS_RULES: readonly ArtifactRule[] = [kerasLambda, kerasModuleInjection, kerasCustomObject];
