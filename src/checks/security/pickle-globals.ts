import type { RuleContext } from '../../core/rule.js';
import type { Artifact, FactOf } from '../../formats/facts.js';
import { classifyGlobal } from '../../knowledge/classify-global.js';
import { type ArtifactRule, at, CWE_502, factRule, PICKLE_DOCS, where } from '../artifact-rule.js';

type GlobalFact = FactOf<'pickle-global'>;

function fullName(fact: GlobalFact): string {
  return `${fact.module}.${fact.name}`;
}

function usage(fact: GlobalFact): string {
  if (fact.callKind === 'build') return `and has its attributes overwritten by BUILD with ${fact.callPreview}`;
  if (fact.called) return `and calls it with ${fact.callPreview}`;
  return 'at load time (the import alone runs module code)';
}

function evidence(fact: GlobalFact, artifact: Artifact) {
  return {
    global: fullName(fact),
    opcode: fact.opcode,
    called: fact.called,
    callPreview: fact.callPreview,
    stream: fact.stream,
    view: fact.view,
    nested: artifact.depth > 0 ? artifact.member : undefined,
  };
}

const VIEW_NOTE: Record<GlobalFact['view'], string> = {
  sequential: '',
  'frame-skipping':
    ' This import is only visible to a loader that honours FRAME boundaries (torch.load); disassemblers miss it.',
};

function classify(fact: GlobalFact, context: RuleContext) {
  return classifyGlobal(fact.module, fact.name, context.allowedGlobals);
}

export const pickleDangerousGlobal: ArtifactRule = factRule(
  {
    id: 'security/pickle-dangerous-global',
    pillar: 'security',
    severity: 'critical',
    title: 'Pickle imports a dangerous global',
    description:
      'Loading this pickle imports a module or callable that can run commands, evaluate code, reach arbitrary ' +
      'attributes, touch files or the network, or load another unscanned payload. pickle.load, torch.load and ' +
      'joblib.load perform these imports and calls while loading.',
    remediation:
      'Do not load this file. Obtain the weights in a format without code (safetensors), or load with ' +
      'torch.load(weights_only=True) after confirming where the file came from.',
    references: [CWE_502, PICKLE_DOCS],
  },
  'pickle-global',
  (fact, artifact, context) => {
    const verdict = classify(fact, context);
    if (verdict.verdict !== 'dangerous') return undefined;
    return {
      message: `Loading imports ${fullName(fact)} ${usage(fact)}: ${verdict.reason}.${VIEW_NOTE[fact.view]}${where(artifact)}`,
      ...at(artifact, fact.offset),
      severity: fact.called ? 'critical' : 'high',
      evidence: { ...evidence(fact, artifact), matched: verdict.pattern },
    };
  },
);

export const pickleUnknownGlobal: ArtifactRule = factRule(
  {
    id: 'security/pickle-unknown-global',
    pillar: 'security',
    severity: 'medium',
    title: 'Pickle imports a global that is on neither list',
    description:
      "The global is not known to be dangerous and not known to be safe. Importing it runs that module's code; " +
      'calling it runs whatever it does with the arguments the file supplies.',
    remediation:
      'Review what the global does. If it is safe, add it to the policy under allowGlobals with the reason; ' +
      'otherwise treat the file as untrusted.',
    references: [CWE_502],
  },
  'pickle-global',
  (fact, artifact, context) => {
    if (classify(fact, context).verdict !== 'unknown') return undefined;
    return {
      message: `Loading imports ${fullName(fact)} ${usage(fact)}; it is neither known-safe nor known-dangerous.${VIEW_NOTE[fact.view]}${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: evidence(fact, artifact),
    };
  },
);

export const pickleGlobalMutated: ArtifactRule = factRule(
  {
    id: 'security/pickle-global-mutated',
    pillar: 'security',
    severity: 'high',
    title: 'Pickle rewrites attributes of an imported module or class',
    description:
      'BUILD applied to an imported global (not to an instance) overwrites attributes of a module or class in the ' +
      'loading process — e.g. replacing torch._utils._rebuild_tensor so a later "safe" global resolves to eval.',
    remediation: 'Do not load this file: ordinary model files never modify modules while loading.',
    references: [CWE_502],
  },
  'pickle-global',
  (fact, artifact) => {
    if (fact.callKind !== 'build') return undefined;
    return {
      message: `BUILD overwrites attributes of ${fullName(fact)} with ${fact.callPreview}${where(artifact)}`,
      ...at(artifact, fact.offset),
      evidence: evidence(fact, artifact),
    };
  },
);

export const pickleUnresolvedGlobal: ArtifactRule = factRule(
  {
    id: 'security/pickle-unresolved-global',
    pillar: 'security',
    severity: 'high',
    title: 'Pickle imports a global that cannot be named without running it',
    description:
      'STACK_GLOBAL operands that are not plain strings (computed values, memo slots never written, earlier ' +
      'call results) or EXT opcodes (globals taken from the copyreg extension registry) hide what is imported.',
    remediation: 'Treat the file as malicious unless its producer explains the construction.',
    references: [CWE_502],
  },
  'pickle-unresolved-global',
  (fact, artifact) => ({
    message: `${fact.opcode} imports a global that cannot be resolved statically: ${fact.detail}${where(artifact)}`,
    ...at(artifact, fact.offset),
    evidence: { opcode: fact.opcode, detail: fact.detail, stream: fact.stream, view: fact.view },
  }),
);
