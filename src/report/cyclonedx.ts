import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, SPDX, Spec, Types } from '@cyclonedx/cyclonedx-library';
import type { Finding } from '../core/finding.js';
import { NOT_ANALYSED_RULE_ID } from '../core/not-analysed.js';
import type { FileEntry, Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import type { Dependency } from '../core/sections/dependencies.js';
import type { ModelSection } from '../core/sections/model.js';
import type { Severity } from '../core/severity.js';
import { absoluteUrl, datasetUrl, hubModel, modelUrl, spdxLicenceId } from './bom.js';
import { findingFingerprint } from './sarif.js';
import { sortFindings } from './text.js';

/*
 * CycloneDX 1.6 ML-BOM (JSON), built with @cyclonedx/cyclonedx-library and valid against its strict 1.6 validator
 * (test/report/cyclonedx.test.ts).
 *
 * Choices, and why:
 * - The subject (metadata.component) is a `machine-learning-model` named after the target's last path segment (a Hub
 *   target `hf://org/name@<commit>`: `org/name`, version the commit, purl `pkg:huggingface/org/name@<commit>`); the
 *   target as given is kept in the `assay:target` property. It carries `hashes` only when the target is one file:
 *   a folder has no single digest, and inventing one (a hash of hashes) would look like something a consumer could
 *   recompute with standard tools.
 * - Every audited file is a top-level component with its SHA-256 and the format sniffed from its bytes
 *   (`assay:format`). Tabular and record data (csv, parquet, arrow, jsonl, tfrecord, ...) are `data` components; every
 *   other file, weights included, is `file`.
 * - modelCard. The library has no modelCard classes, so the card is added to the serialised JSON. It only says what
 *   the audit knows: the file formats seen go into the card's properties (`assay:format`), not into
 *   `modelParameters.inputs` (that field is the model's *input* format, which the audit does not know). Unsuppressed
 *   security findings become `considerations.ethicalConsiderations` (a risk of applying the model, with the rule's
 *   remediation as the mitigation); content the audit could not analyse becomes `technicalLimitations`, because it
 *   limits what is known about the model. No card is written when there is nothing to say.
 * - Findings are `vulnerabilities`: id = rule id + `#` + the first 16 hex digits of the SARIF location fingerprint
 *   (rule, file, member, offset), so ids are stable across runs and unique per location; source `assay`; one rating
 *   with the finding's severity (method `other`: no CVSS is claimed); description = message; recommendation =
 *   remediation; CWE references as `cwes`; `affects` points at the file's component, or at the model for findings
 *   about the model as a whole. A suppressed finding stays, with the policy's reason as `analysis.detail` and the
 *   `assay:suppressed` property; no analysis state is claimed, as a suppression is a policy decision, not a proof.
 * - serialNumber. A name-based UUID (RFC 4122 version 5, SHA-1, URL namespace) of the target and every file's path,
 *   size and SHA-256, so the same model bytes audited twice give the same BOM serial, and the output as a whole is
 *   reproducible (a random serial would make every rendering differ, which breaks diffing and caching of BOMs and
 *   the renderers' determinism contract). A change to any file gives a new serial. A re-audit of unchanged bytes by
 *   a newer rule set keeps the serial: the BOM describes the same artefact, and `metadata.timestamp` (the audit's
 *   finishedAt) and the tool version tell the two apart.
 * - The model `dependsOn` each file component in `dependencies`, which is how a consumer finds its files.
 * - What the model card claims (the report's `model` section): the card's `license` becomes the model's licence, as
 *   an SPDX id when it is one (`apache-2.0` → `Apache-2.0`), otherwise a named licence (`license_name`, else the Hub
 *   id as written) with `license_link` as its URL when that is an absolute URL (a repository path goes into the
 *   `assay:license-link` property), acknowledged as `declared`; the licence the compliance analysis identified (when
 *   its evidence agrees) is added as `concluded`. The card's `datasets` are `data` components
 *   (`assay:dataset:<id>`, with a `dataset` entry in `data` and the Hub page as a reference when the id is a Hub id),
 *   referenced from
 *   `modelCard.modelParameters.datasets`; `pipeline_tag` is `modelParameters.task`; each `base_model` is a
 *   `pedigree.ancestors` entry (a machine-learning-model with its Hub page). Claims, not verified facts: the
 *   BOM says what the card says, and the compliance rules judge it.
 * - Declared dependencies (the report's `dependencies` section) are `library` components identified by their purl
 *   (`pkg:pypi/...`, `pkg:npm/...`; version only when pinned), one per purl however many files declare it, with the
 *   specifiers and where each was found as properties; runtime ones are `required`, optional ones `optional`,
 *   development ones `excluded`. The model `dependsOn` them. Their advisories are in `vulnerabilities` already, as
 *   the supply-chain findings.
 * - Lists are sorted by the library (`sortLists`), findings first sorted as the other renderers sort them.
 */

const SOURCE = new Models.Vulnerability.Source({ name: 'assay', url: 'https://github.com/assay/assay' });
const MODEL_REF = 'assay:model';
const MODEL_CARD_REF = 'assay:model-card';
const DATASET_REF = 'assay:dataset:';
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

const DATA_FORMATS: ReadonlySet<string> = new Set([
  'csv',
  'tsv',
  'parquet',
  'arrow',
  'feather',
  'jsonl',
  'ndjson',
  'tfrecord',
  'avro',
  'orc',
  'npy',
  'npz',
]);

const SEVERITY: Record<Severity, Enums.Vulnerability.Severity> = {
  critical: Enums.Vulnerability.Severity.Critical,
  high: Enums.Vulnerability.Severity.High,
  medium: Enums.Vulnerability.Severity.Medium,
  low: Enums.Vulnerability.Severity.Low,
  info: Enums.Vulnerability.Severity.Info,
};

/** RFC 4122 version 5 UUID of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The BOM serial: a function of the target and the files' paths, sizes and digests only. */
export function bomSerialNumber(report: Report): string {
  const files = [...report.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => [file.path, file.size, file.sha256]);
  const digest = createHash('sha256')
    .update(JSON.stringify([report.target.kind, report.target.path, files]))
    .digest('hex');
  return `urn:uuid:${uuidV5(URL_NAMESPACE, `urn:assay:bom:sha256:${digest}`)}`;
}

export function vulnerabilityId(finding: Finding): string {
  return `${finding.ruleId}#${findingFingerprint(finding).slice(0, 16)}`;
}

function modelName(target: Report['target']): string {
  const parts = target.path
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  return parts.at(-1) ?? target.path ?? 'model';
}

function fileComponent(file: FileEntry): Models.Component {
  const type = DATA_FORMATS.has(file.format) ? Enums.ComponentType.Data : Enums.ComponentType.File;
  return new Models.Component(type, file.path, {
    bomRef: `assay:file:${file.path}`,
    hashes: new Models.HashDictionary([[Enums.HashAlgorithm['SHA-256'], file.sha256]]),
    properties: new Models.PropertyRepository([
      new Models.Property('assay:format', file.format),
      new Models.Property('assay:size', String(file.size)),
    ]),
  });
}

/** The card's licence claim; none when the card names no licence. */
function declaredLicence(model: ModelSection | undefined): Models.DisjunctiveLicense | undefined {
  if (!model || (model.license === undefined && model.licenseName === undefined)) return undefined;
  const url = absoluteUrl(model.licenseLink);
  const properties = new Models.PropertyRepository();
  if (model.licenseLink !== undefined && url === undefined)
    properties.add(new Models.Property('assay:license-link', model.licenseLink));
  const id = spdxLicenceId(model.license);
  const acknowledgement = Enums.LicenseAcknowledgement.Declared;
  if (id !== undefined && SPDX.isSupportedSpdxId(id))
    return new Models.SpdxLicense(id, { url, properties, acknowledgement });
  if (model.license !== undefined) properties.add(new Models.Property('assay:license', model.license));
  return new Models.NamedLicense(model.licenseName ?? (model.license as string), { url, properties, acknowledgement });
}

/** The licence the compliance analysis identified from all the evidence (card, licence texts), when it did. */
function concludedLicence(compliance: Report['compliance']): Models.DisjunctiveLicense | undefined {
  const effective = compliance?.licence.status === 'identified' ? compliance.licence.effective : undefined;
  if (!effective) return undefined;
  const acknowledgement = Enums.LicenseAcknowledgement.Concluded;
  if (SPDX.isSupportedSpdxId(effective.spdx)) return new Models.SpdxLicense(effective.spdx, { acknowledgement });
  const properties = new Models.PropertyRepository([new Models.Property('assay:spdx', effective.spdx)]);
  return new Models.NamedLicense(effective.name, { acknowledgement, properties });
}

function modelLicences(report: Report): Models.License[] {
  return [declaredLicence(report.model), concludedLicence(report.compliance)].filter(
    (licence): licence is Models.DisjunctiveLicense => licence !== undefined,
  );
}

function datasetComponent(id: string): Models.Component {
  const url = datasetUrl(id);
  return new Models.Component(Enums.ComponentType.Data, id, {
    bomRef: `${DATASET_REF}${id}`,
    ...(url
      ? {
          externalReferences: new Models.ExternalReferenceRepository([
            new Models.ExternalReference(url, Enums.ExternalReferenceType.Website),
          ]),
        }
      : {}),
  });
}

/** A card's `base_model` as a pedigree ancestor (the library has no pedigree class: added to the JSON). */
function baseModel(id: string): Record<string, unknown> {
  const url = modelUrl(id);
  return {
    type: 'machine-learning-model',
    'bom-ref': `assay:base-model:${id}`,
    name: id,
    ...(url ? { externalReferences: [{ type: 'website', url }] } : {}),
  };
}

const SCOPE: Record<Dependency['scope'], Enums.ComponentScope> = {
  runtime: Enums.ComponentScope.Required,
  optional: Enums.ComponentScope.Optional,
  dev: Enums.ComponentScope.Excluded,
};
const SCOPE_ORDER: readonly Dependency['scope'][] = ['runtime', 'optional', 'dev'];

/** One component per purl: the same package declared in several files is one package, found in several places. */
function dependencyComponents(dependencies: readonly Dependency[]): Models.Component[] {
  const byPurl = new Map<string, Dependency[]>();
  for (const dependency of dependencies)
    byPurl.set(dependency.purl, [...(byPurl.get(dependency.purl) ?? []), dependency]);
  return [...byPurl].map(([purl, declared]) => {
    const first = declared[0] as Dependency;
    const scope = SCOPE_ORDER.find((candidate) => declared.some((dependency) => dependency.scope === candidate));
    const properties = new Models.PropertyRepository([new Models.Property('assay:ecosystem', first.ecosystem)]);
    for (const dependency of declared) {
      const where = [dependency.file, dependency.member, dependency.line].filter((part) => part !== undefined);
      properties.add(new Models.Property('assay:declared-in', where.join(':')));
      if (dependency.specifier) properties.add(new Models.Property('assay:specifier', dependency.specifier));
      if (dependency.url) properties.add(new Models.Property('assay:url', dependency.url));
    }
    return new Models.Component(Enums.ComponentType.Library, first.name, {
      bomRef: `assay:dependency:${purl}`,
      purl,
      ...(first.version === undefined ? {} : { version: first.version }),
      ...(scope ? { scope: SCOPE[scope] } : {}),
      properties,
    });
  });
}

function cwes(finding: Finding): number[] {
  const numbers: number[] = [];
  for (const reference of finding.references) {
    const match = reference.kind === 'cwe' ? /^CWE-(\d+)$/i.exec(reference.id) : null;
    if (match) numbers.push(Number(match[1]));
  }
  return [...new Set(numbers)];
}

function vulnerability(
  finding: Finding,
  model: Models.Component,
  files: ReadonlyMap<string, Models.Component>,
): Models.Vulnerability.Vulnerability {
  const target = (finding.file === undefined ? undefined : files.get(finding.file)) ?? model;
  const { member, offset, line } = finding.location ?? {};
  const properties = [
    new Models.Property('assay:rule', finding.ruleId),
    new Models.Property('assay:pillar', finding.pillar),
    new Models.Property('assay:title', finding.title),
  ];
  if (finding.file !== undefined) properties.push(new Models.Property('assay:file', finding.file));
  if (member !== undefined) properties.push(new Models.Property('assay:member', member));
  if (offset !== undefined) properties.push(new Models.Property('assay:offset', String(offset)));
  if (line !== undefined) properties.push(new Models.Property('assay:line', String(line)));
  if (finding.suppressed) properties.push(new Models.Property('assay:suppressed', finding.suppressed.reason));
  return new Models.Vulnerability.Vulnerability({
    bomRef: `assay:finding:${findingFingerprint(finding)}`,
    id: vulnerabilityId(finding),
    source: SOURCE,
    ratings: new Models.Vulnerability.RatingRepository([
      new Models.Vulnerability.Rating({
        source: SOURCE,
        severity: SEVERITY[finding.severity],
        method: Enums.Vulnerability.RatingMethod.Other,
      }),
    ]),
    cwes: new Types.CweRepository(cwes(finding)),
    description: finding.message || finding.title,
    recommendation: finding.remediation,
    affects: new Models.Vulnerability.AffectRepository([new Models.Vulnerability.Affect(target.bomRef)]),
    ...(finding.suppressed
      ? { analysis: new Models.Vulnerability.Analysis({ detail: finding.suppressed.reason }) }
      : {}),
    properties: new Models.PropertyRepository(properties),
  });
}

interface Risk {
  name: string;
  mitigationStrategy?: string;
}

/** The model card: only what the audit established. Undefined when there is nothing to say. */
function modelCard(report: Report, findings: readonly Finding[]): Record<string, unknown> | undefined {
  const formats = [...new Set(report.files.map((file) => file.format))].sort();
  const active = findings.filter((finding) => !finding.suppressed && finding.pillar === 'security');
  const risks = new Map<string, Risk>();
  const limitations = new Set<string>();
  for (const finding of active) {
    if (finding.ruleId === NOT_ANALYSED_RULE_ID) {
      const where = finding.file === undefined ? 'the model' : finding.file;
      limitations.add(`Not analysed by assay, so unverified: ${where}: ${finding.message || finding.title}`);
    } else if (!risks.has(finding.title)) {
      risks.set(finding.title, { name: finding.title, mitigationStrategy: finding.remediation });
    }
  }
  const considerations: Record<string, unknown> = {};
  if (risks.size > 0) considerations.ethicalConsiderations = [...risks.values()];
  if (limitations.size > 0) considerations.technicalLimitations = [...limitations].sort();
  const datasets = [...new Set(report.model?.datasets ?? [])];
  const modelParameters: Record<string, unknown> = {};
  if (report.model?.pipelineTag !== undefined) modelParameters.task = report.model.pipelineTag;
  if (datasets.length > 0) modelParameters.datasets = datasets.map((id) => ({ ref: `${DATASET_REF}${id}` }));
  const sections = [modelParameters, considerations].filter((part) => Object.keys(part).length > 0);
  if (formats.length === 0 && sections.length === 0) return undefined;
  return {
    'bom-ref': MODEL_CARD_REF,
    ...(Object.keys(modelParameters).length > 0 ? { modelParameters } : {}),
    ...(Object.keys(considerations).length > 0 ? { considerations } : {}),
    ...(formats.length > 0 ? { properties: formats.map((format) => ({ name: 'assay:format', value: format })) } : {}),
  };
}

/** CycloneDX 1.6 JSON ML-BOM of the audit. Pure: same report, same string. */
export function renderCycloneDx(report: Report, _rules: RuleMeta[]): string {
  const findings = sortFindings(report.findings);
  const single = report.target.kind === 'file' && report.files.length === 1 ? report.files[0] : undefined;

  const hub = hubModel(report.target.path);
  const model = new Models.Component(Enums.ComponentType.MachineLearningModel, hub?.repo ?? modelName(report.target), {
    bomRef: MODEL_REF,
    ...(hub?.commit ? { version: hub.commit, purl: `pkg:huggingface/${hub.repo}@${hub.commit}` } : {}),
    ...(single ? { hashes: new Models.HashDictionary([[Enums.HashAlgorithm['SHA-256'], single.sha256]]) } : {}),
    licenses: new Models.LicenseRepository(modelLicences(report)),
    properties: new Models.PropertyRepository([
      new Models.Property('assay:target', report.target.path),
      new Models.Property('assay:target-kind', report.target.kind),
      new Models.Property('assay:verdict', report.verdict),
    ]),
  });

  const files = new Map<string, Models.Component>();
  for (const file of report.files) if (!files.has(file.path)) files.set(file.path, fileComponent(file));
  for (const component of files.values()) model.dependencies.add(component.bomRef);
  const libraries = dependencyComponents(report.dependencies?.dependencies ?? []);
  for (const component of libraries) model.dependencies.add(component.bomRef);
  const datasets = [...new Set(report.model?.datasets ?? [])].map(datasetComponent);

  const timestamp = new Date(report.finishedAt);
  const tool = new Models.Component(Enums.ComponentType.Application, report.tool.name, {
    version: report.tool.version,
  });
  const bom = new Models.Bom({
    serialNumber: bomSerialNumber(report),
    metadata: new Models.Metadata({
      ...(Number.isNaN(timestamp.getTime()) ? {} : { timestamp }),
      tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }),
      component: model,
    }),
    components: new Models.ComponentRepository([...files.values(), ...libraries, ...datasets]),
    vulnerabilities: new Models.Vulnerability.VulnerabilityRepository(
      findings.map((finding) => vulnerability(finding, model, files)),
    ),
  });

  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const json = JSON.parse(serializer.serialize(bom, { sortLists: true })) as {
    metadata: { component: Record<string, unknown> };
    components?: Record<string, unknown>[];
  };
  // The library has no componentData class: each dataset says what it is in `data`.
  for (const component of json.components ?? []) {
    const ref = component['bom-ref'];
    if (typeof ref === 'string' && ref.startsWith(DATASET_REF))
      component.data = [{ type: 'dataset', name: ref.slice(DATASET_REF.length) }];
  }
  const card = modelCard(report, findings);
  if (card) json.metadata.component.modelCard = card;
  const ancestors = [...new Set(report.model?.baseModels ?? [])].map(baseModel);
  if (ancestors.length > 0) json.metadata.component.pedigree = { ancestors };
  return `${JSON.stringify(json, null, 2)}\n`;
}
