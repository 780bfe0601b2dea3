import { describe, expect, it } from 'vitest';
import { auditPlan, NOT_ANALYSED_RULE_ID, VERSION } from '../../src/assay.js';
import { audit } from '../../src/core/audit.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import type { Report } from '../../src/core/report.js';
import { render } from '../../src/report/index.js';
import { renderSpdx, SPDX_CONTEXT } from '../../src/report/spdx.js';
import { runAssay, tempFolder } from '../helpers.js';
import { cleanReport, hostileReport, SAMPLE_RULES, sampleReport } from './sample-report.js';

/*
 * The SPDX 3.0.1 normative rules for the classes the writer emits, from spdx/spdx-3-model 3.0.1 (model/Core, Software,
 * AI, Dataset, SimpleLicensing): no SPDX 3 validator exists on npm, so the test carries the rules it checks.
 * - Every element has `spdxId` (an IRI, unique), `type` (a class name) and `creationInfo` (here the one blank node).
 * - Properties: only those the class and its superclasses define (Element → Artifact → software_SoftwareArtifact →
 *   software_Package → ai_AIPackage / dataset_DatasetPackage).
 * - Relationship `from` / `to` name elements of the graph (or the NoAssertion individuals); `to` is a list.
 * - Hash: algorithm from the HashAlgorithm vocabulary, sha256 values are 64 hex digits.
 * - CreationInfo: specVersion 3.0.1, `created` a UTC DateTime with whole seconds, createdBy at least one Agent.
 * - AI and Dataset profile conformance: every ai_AIPackage and dataset_DatasetPackage is the `from` of exactly one
 *   hasDeclaredLicense and exactly one hasConcludedLicense relationship to a licence.
 */

const ELEMENT = ['type', 'spdxId', 'creationInfo', 'name', 'summary', 'description', 'comment', 'verifiedUsing'];
const ARTIFACT = [...ELEMENT, 'suppliedBy', 'originatedBy', 'releaseTime', 'builtTime', 'validUntilTime'];
const SOFTWARE_ARTIFACT = [...ARTIFACT, 'software_primaryPurpose', 'software_additionalPurpose'];
const PACKAGE = [
  ...SOFTWARE_ARTIFACT,
  'software_downloadLocation',
  'software_homePage',
  'software_packageUrl',
  'software_packageVersion',
  'software_sourceInfo',
];
const ALLOWED_PROPERTIES: Record<string, string[]> = {
  SpdxDocument: [...ELEMENT, 'profileConformance', 'rootElement', 'element', 'dataLicense'],
  SoftwareAgent: ELEMENT,
  Organization: ELEMENT,
  Tool: ELEMENT,
  Relationship: [...ELEMENT, 'from', 'to', 'relationshipType', 'completeness'],
  simplelicensing_LicenseExpression: [
    ...ELEMENT,
    'simplelicensing_licenseExpression',
    'simplelicensing_customIdToUri',
    'simplelicensing_licenseListVersion',
  ],
  software_File: [...SOFTWARE_ARTIFACT, 'software_contentType', 'software_fileKind'],
  software_Package: PACKAGE,
  ai_AIPackage: [
    ...PACKAGE,
    'ai_autonomyType',
    'ai_domain',
    'ai_informationAboutApplication',
    'ai_informationAboutTraining',
    'ai_limitation',
    'ai_typeOfModel',
    'ai_useSensitivePersonalInformation',
  ],
  dataset_DatasetPackage: [
    ...PACKAGE,
    'dataset_datasetType',
    'dataset_datasetSize',
    'dataset_intendedUse',
    'dataset_hasSensitivePersonalInformation',
  ],
};
const AGENTS = new Set(['SoftwareAgent', 'Organization', 'Person', 'Agent']);
const LICENCES = new Set(['simplelicensing_LicenseExpression']);
const INDIVIDUALS = new Set(['expandedlicensing_NoAssertionLicense', 'expandedlicensing_NoneLicense']);
const RELATIONSHIP_TYPES = new Set([
  'contains',
  'dependsOn',
  'descendantOf',
  'hasConcludedLicense',
  'hasDeclaredLicense',
  'trainedOn',
  'testedOn',
]);
const PURPOSES = new Set(['model', 'data', 'library', 'application', 'file', 'other']);
const DATASET_TYPES = new Set(['audio', 'categorical', 'graph', 'image', 'noAssertion', 'numeric', 'other', 'text']);
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const LICENSE_EXPRESSION = /^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.+-]+)$/;

type Node = Record<string, unknown> & { type: string; spdxId?: string };
interface Document {
  '@context': string;
  '@graph': Node[];
}

/** Every normative rule above; returns the problems found (none for a valid document). */
function spdxProblems(document: Document): string[] {
  const problems: string[] = [];
  if (document['@context'] !== 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld') problems.push('wrong @context');
  const graph = document['@graph'];
  const creation = graph.filter((node) => node.type === 'CreationInfo');
  if (creation.length !== 1) problems.push(`${creation.length} CreationInfo nodes`);
  const info = creation[0] ?? {};
  if (info['@id'] !== '_:creationinfo' || info.specVersion !== '3.0.1') problems.push('CreationInfo id or version');
  if (!DATE_TIME.test(String(info.created))) problems.push(`created ${String(info.created)} is no SPDX DateTime`);
  const byId = new Map<string, Node>();
  for (const node of graph) {
    if (node.type === 'CreationInfo') continue;
    const allowed = ALLOWED_PROPERTIES[node.type];
    if (!allowed) problems.push(`unknown class ${node.type}`);
    for (const key of Object.keys(node)) {
      if (allowed && !allowed.includes(key)) problems.push(`${node.type} has no property ${key}`);
    }
    if (typeof node.spdxId !== 'string' || !URL.canParse(node.spdxId)) problems.push(`${node.type} without IRI spdxId`);
    else if (byId.has(node.spdxId)) problems.push(`duplicate spdxId ${node.spdxId}`);
    else byId.set(node.spdxId, node);
    if (node.creationInfo !== '_:creationinfo') problems.push(`${node.spdxId} without creationInfo`);
    for (const hash of (node.verifiedUsing as { type: string; algorithm: string; hashValue: string }[]) ?? []) {
      if (hash.type !== 'Hash' || hash.algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(hash.hashValue))
        problems.push(`${node.spdxId}: bad hash ${JSON.stringify(hash)}`);
    }
    const purpose = node.software_primaryPurpose;
    if (purpose !== undefined && !PURPOSES.has(String(purpose))) problems.push(`purpose ${String(purpose)}`);
    for (const type of (node.dataset_datasetType as string[]) ?? [])
      if (!DATASET_TYPES.has(type)) problems.push(`dataset type ${type}`);
    if (node.type === 'dataset_DatasetPackage' && !(node.dataset_datasetType as string[] | undefined)?.length)
      problems.push(`${node.spdxId}: datasetType is required`);
    if (
      node.type === 'simplelicensing_LicenseExpression' &&
      !LICENSE_EXPRESSION.test(String(node.simplelicensing_licenseExpression))
    )
      problems.push(`licence expression ${String(node.simplelicensing_licenseExpression)}`);
  }
  const exists = (ref: unknown) => typeof ref === 'string' && (byId.has(ref) || INDIVIDUALS.has(ref));
  for (const agent of (info.createdBy as string[]) ?? [])
    if (!AGENTS.has(byId.get(agent)?.type ?? '')) problems.push(`createdBy ${agent} is no Agent`);
  if (!(info.createdBy as string[] | undefined)?.length) problems.push('createdBy is empty');
  const relationships = graph.filter((node) => node.type === 'Relationship');
  for (const relationship of relationships) {
    if (!RELATIONSHIP_TYPES.has(String(relationship.relationshipType)))
      problems.push(`relationship type ${String(relationship.relationshipType)}`);
    if (!exists(relationship.from)) problems.push(`relationship from unknown ${String(relationship.from)}`);
    if (!Array.isArray(relationship.to) || relationship.to.length === 0) problems.push('relationship to is no list');
    for (const to of (relationship.to as string[]) ?? [])
      if (!exists(to)) problems.push(`relationship to unknown ${to}`);
  }
  for (const node of byId.values()) {
    if (node.type !== 'ai_AIPackage' && node.type !== 'dataset_DatasetPackage') continue;
    for (const kind of ['hasDeclaredLicense', 'hasConcludedLicense']) {
      const found = relationships.filter((r) => r.from === node.spdxId && r.relationshipType === kind);
      if (found.length !== 1) problems.push(`${node.spdxId}: ${found.length} ${kind}`);
      for (const to of (found[0]?.to as string[]) ?? [])
        if (!INDIVIDUALS.has(to) && !LICENCES.has(byId.get(to)?.type ?? '')) problems.push(`${kind} to ${to}`);
    }
    for (const agent of [node.suppliedBy].filter(Boolean))
      if (!AGENTS.has(byId.get(String(agent))?.type ?? '')) problems.push(`suppliedBy ${String(agent)}`);
  }
  const documents = graph.filter((node) => node.type === 'SpdxDocument');
  if (documents.length !== 1) problems.push(`${documents.length} SpdxDocument nodes`);
  const document_ = documents[0];
  for (const root of (document_?.rootElement as string[]) ?? []) if (!exists(root)) problems.push(`root ${root}`);
  const listed = new Set((document_?.element as string[]) ?? []);
  for (const id of byId.keys()) if (id !== document_?.spdxId && !listed.has(id)) problems.push(`${id} not in element`);
  return problems;
}

function parse(json: string): Document {
  return JSON.parse(json) as Document;
}

const node = (document: Document, type: string, name?: string) =>
  document['@graph'].find((candidate) => candidate.type === type && (name === undefined || candidate.name === name));
const related = (document: Document, from: string, relationshipType: string) =>
  (document['@graph'].find(
    (n) => n.type === 'Relationship' && n.from === from && n.relationshipType === relationshipType,
  )?.to as string[] | undefined) ?? [];

const CARD = [
  '---',
  'license: apache-2.0',
  'base_model: google-bert/bert-base-uncased',
  'datasets: [stanfordnlp/imdb]',
  'pipeline_tag: text-classification',
  '---',
  '# Tiny classifier',
].join('\n');

describe('SPDX 3.0.1 renderer', () => {
  it('renders sample reports that meet the SPDX 3.0.1 rules checked here', () => {
    expect(SPDX_CONTEXT).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
    for (const report of [sampleReport(), cleanReport(), hostileReport()]) {
      expect(spdxProblems(parse(renderSpdx(report, SAMPLE_RULES)))).toEqual([]);
    }
  });

  it('the rule check does catch a broken document', () => {
    const document = parse(renderSpdx(sampleReport(), SAMPLE_RULES));
    const file = node(document, 'software_File') as Node;
    (file.verifiedUsing as { hashValue: string }[])[0]!.hashValue = 'abc';
    file.software_packageURL = 'typo';
    document['@graph'].push({ ...(node(document, 'Relationship') as Node), spdxId: 'urn:x', to: ['urn:missing'] });
    expect(spdxProblems(document)).toEqual([
      'software_File has no property software_packageURL',
      expect.stringContaining('bad hash'),
      'relationship to unknown urn:missing',
      expect.stringContaining('2 hasDeclaredLicense'),
      'urn:x not in element',
    ]);
  });

  it('describes an audited model: files with digests, card licence, datasets it was trained on, base model', async () => {
    const folder = await tempFolder({ 'README.md': CARD, 'config.json': '{"model_type": "bert"}' });
    const report = await audit(folder, {
      policy: DEFAULT_POLICY,
      ...auditPlan('audit'),
      notAnalysedRuleId: NOT_ANALYSED_RULE_ID,
      toolVersion: VERSION,
    });
    const json = render('spdx', report, SAMPLE_RULES);
    const document = parse(json);
    expect(spdxProblems(document)).toEqual([]);
    const model = node(document, 'ai_AIPackage', folder.split('/').at(-1)) as Node;
    expect(model).toMatchObject({ software_primaryPurpose: 'model' });
    const spdxDocument = node(document, 'SpdxDocument') as Node;
    expect(spdxDocument.rootElement).toEqual([model.spdxId]);

    const files = related(document, model.spdxId as string, 'contains').map(
      (id) => document['@graph'].find((n) => n.spdxId === id) as Node,
    );
    expect(files.map((file) => [file.name, (file.verifiedUsing as { hashValue: string }[])[0]?.hashValue])).toEqual(
      report.files.map((file) => [file.path, file.sha256]),
    );

    const licence = related(document, model.spdxId as string, 'hasDeclaredLicense')[0];
    expect(document['@graph'].find((n) => n.spdxId === licence)).toMatchObject({
      type: 'simplelicensing_LicenseExpression',
      simplelicensing_licenseExpression: 'Apache-2.0',
    });
    // The compliance analysis identified the card's licence, so it is also the concluded one (one element).
    expect(report.compliance?.licence.status).toBe('identified');
    expect(related(document, model.spdxId as string, 'hasConcludedLicense')).toEqual([licence]);
    const [dataset] = related(document, model.spdxId as string, 'trainedOn');
    expect(document['@graph'].find((n) => n.spdxId === dataset)).toMatchObject({
      type: 'dataset_DatasetPackage',
      name: 'stanfordnlp/imdb',
      software_downloadLocation: 'https://huggingface.co/datasets/stanfordnlp/imdb',
    });
    const [base] = related(document, model.spdxId as string, 'descendantOf');
    expect(document['@graph'].find((n) => n.spdxId === base)).toMatchObject({
      type: 'ai_AIPackage',
      name: 'google-bert/bert-base-uncased',
    });
  });

  it('names a Hub model by its id, commit and owner; other licences as LicenseRef; dependencies by purl', () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const report: Report = {
      ...cleanReport(),
      target: { kind: 'directory', path: `hf://meta-llama/Llama-3-8B@${commit}` },
      model: {
        card: { file: 'README.md', status: 'read' },
        license: 'other',
        licenseName: 'llama3 community',
        licenseLink: 'https://llama.meta.com/llama3/license',
        baseModels: [],
        datasets: [],
        languages: [],
        tags: [],
      },
      dependencies: {
        dependencies: [
          {
            ecosystem: 'PyPI',
            name: 'torch',
            specifier: '==2.5.1',
            version: '2.5.1',
            pinned: true,
            purl: 'pkg:pypi/torch@2.5.1',
            scope: 'runtime',
            file: 'requirements.txt',
            foundBy: 'requirements',
            advisories: [],
          },
        ],
      },
    };
    const document = parse(renderSpdx(report, SAMPLE_RULES));
    expect(spdxProblems(document)).toEqual([]);
    const model = node(document, 'ai_AIPackage', 'meta-llama/Llama-3-8B') as Node;
    expect(model).toMatchObject({
      software_downloadLocation: 'https://huggingface.co/meta-llama/Llama-3-8B',
      software_packageVersion: commit,
    });
    expect(document['@graph'].find((n) => n.spdxId === model.suppliedBy)).toMatchObject({
      type: 'Organization',
      name: 'meta-llama',
    });
    expect(node(document, 'simplelicensing_LicenseExpression')).toMatchObject({
      simplelicensing_licenseExpression: 'LicenseRef-llama3-community',
      simplelicensing_customIdToUri: [
        { type: 'DictionaryEntry', key: 'LicenseRef-llama3-community', value: 'https://llama.meta.com/llama3/license' },
      ],
    });
    // No compliance analysis in this report: nothing is concluded.
    expect(related(document, model.spdxId as string, 'hasConcludedLicense')).toEqual([
      'expandedlicensing_NoAssertionLicense',
    ]);
    const [dependency] = related(document, model.spdxId as string, 'dependsOn');
    expect(document['@graph'].find((n) => n.spdxId === dependency)).toMatchObject({
      type: 'software_Package',
      name: 'torch',
      software_packageUrl: 'pkg:pypi/torch@2.5.1',
      software_packageVersion: '2.5.1',
    });
  });

  it('is deterministic: ids follow the target and the bytes, only `created` follows the clock', () => {
    const first = renderSpdx(sampleReport(), SAMPLE_RULES);
    expect(renderSpdx(structuredClone(sampleReport()), SAMPLE_RULES)).toBe(first);
    const later = renderSpdx({ ...sampleReport(), finishedAt: '2027-01-01T00:00:00.000Z' }, SAMPLE_RULES);
    expect(later.replace(/"created": "[^"]+"/, '')).toBe(first.replace(/"created": "[^"]+"/, ''));
    const changed = sampleReport();
    changed.files[0] = { ...(changed.files[0] as Report['files'][number]), sha256: 'f'.repeat(64) };
    const ids = (json: string) =>
      parse(json)
        ['@graph'].map((n) => n.spdxId)
        .filter(Boolean);
    expect(ids(renderSpdx(changed, SAMPLE_RULES))).not.toEqual(ids(first));
  });

  it('is what `assay audit --format spdx` writes', async () => {
    const folder = await tempFolder({ 'README.md': CARD, 'config.json': '{"model_type": "bert"}' });
    const { code, stdout } = await runAssay(['audit', folder, '--format', 'spdx']);
    expect(code).toBe(0);
    const document = parse(stdout);
    expect(spdxProblems(document)).toEqual([]);
    expect(node(document, 'dataset_DatasetPackage')).toMatchObject({ name: 'stanfordnlp/imdb' });
  }, 120_000);
});
