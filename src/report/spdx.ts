import type { Report } from '../core/report.js';
import type { RuleMeta } from '../core/rule.js';
import type { Dependency } from '../core/sections/dependencies.js';
import { absoluteUrl, datasetUrl, hubModel, modelUrl, spdxLicenceId } from './bom.js';
import { bomSerialNumber } from './cyclonedx.js';
import { compareStrings } from './text.js';

/*
 * SPDX 3.0.1 JSON-LD of the audit, with the AI and Dataset profiles. No SPDX 3 library exists on npm, so the graph is
 * written here; test/report/spdx.test.ts checks it against the model's normative rules.
 *
 * | report                          | SPDX 3.0.1                                                                      |
 * |---------------------------------|---------------------------------------------------------------------------------|
 * | finishedAt, tool                | CreationInfo (`_:creationinfo`): created (UTC, whole seconds), createdBy the     |
 * |                                 | assay SoftwareAgent, createdUsing the assay Tool; specVersion 3.0.1              |
 * | the document                    | SpdxDocument: rootElement = the model, element = every other element,           |
 * |                                 | profileConformance core, software, ai, dataset, simpleLicensing                  |
 * | target                          | ai_AIPackage: name (Hub repo id, else the last path segment),                   |
 * |                                 | software_primaryPurpose `model`; for hf:// targets software_downloadLocation    |
 * |                                 | (the Hub page), software_packageVersion (the commit, when pinned) and           |
 * |                                 | suppliedBy (an Organization named after the repo owner); verifiedUsing sha256   |
 * |                                 | when the target is one file. Release time, type of model, autonomy, ... are not |
 * |                                 | known to an audit of bytes, so they are left out rather than invented.          |
 * | model.license (+ name, link)    | simplelicensing_LicenseExpression (the SPDX id, else `LicenseRef-<name>` with   |
 * |                                 | the link as simplelicensing_customIdToUri) + Relationship hasDeclaredLicense;   |
 * |                                 | no card licence: hasDeclaredLicense NoAssertionLicense. The AI and Dataset      |
 * |                                 | profiles require exactly one declared and one concluded licence per package     |
 * | compliance.licence.effective    | hasConcludedLicense, when the compliance analysis identified the licence (its   |
 * |                                 | SPDX id or LicenseRef-hf-<id>); else NoAssertionLicense: the card is a claim,   |
 * |                                 | not a conclusion. Datasets and base models: NoAssertionLicense for both         |
 * | model.datasets                  | dataset_DatasetPackage (software_primaryPurpose `data`, dataset_datasetType      |
 * |                                 | noAssertion, downloadLocation the Hub page) + Relationship trainedOn            |
 * | model.baseModels                | ai_AIPackage per base model + Relationship descendantOf (model → bases)         |
 * | files[]                         | software_File (name = path, verifiedUsing Hash sha256, comment = format) +      |
 * |                                 | Relationship contains (model → files)                                            |
 * | dependencies.dependencies[]     | software_Package per purl (software_packageUrl, software_packageVersion when    |
 * |                                 | pinned) + Relationship dependsOn (model → packages)                              |
 *
 * Findings are not part of the graph: SPDX 3 security profile elements (vulnerabilities) describe advisories, not
 * scanner findings; `--format sarif` or `json` carries them.
 *
 * Ids are deterministic: `https://spdx.org/spdxdocs/assay-<uuid>` where uuid is the CycloneDX serial's (a function of
 * the target and every file's path, size and sha256), then `#<kind>/<key>` with the key percent-encoded. The same
 * bytes give the same ids; the document differs only in `created`.
 */

export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';
const CREATION_INFO = '_:creationinfo';
const NO_ASSERTION_LICENSE = 'expandedlicensing_NoAssertionLicense';

type Element = Record<string, unknown> & { type: string; spdxId: string };

/** `LicenseRef-` ids allow letters, digits, `.` and `-` only. */
function licenseRef(name: string): string {
  return `LicenseRef-${name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed'}`;
}

/** SPDX DateTime: UTC, whole seconds, `Z`. */
function spdxDateTime(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? '1970-01-01T00:00:00Z' : `${time.toISOString().slice(0, 19)}Z`;
}

function lastSegment(path: string): string {
  return (
    path
      .replace(/\\/g, '/')
      .split('/')
      .filter((part) => part !== '' && part !== '.')
      .at(-1) ?? path
  );
}

/** SPDX 3.0.1 JSON-LD of the audit. Pure: same report, same string. */
export function renderSpdx(report: Report, _rules: RuleMeta[]): string {
  const namespace = `https://spdx.org/spdxdocs/assay-${bomSerialNumber(report).replace(/^urn:uuid:/, '')}`;
  const id = (kind: string, key?: string) =>
    key === undefined ? `${namespace}#${kind}` : `${namespace}#${kind}/${encodeURIComponent(key)}`;
  const common = (type: string, spdxId: string): Element => ({ type, spdxId, creationInfo: CREATION_INFO });
  const elements: Element[] = [];
  const relationships: Element[] = [];
  const relate = (from: string, relationshipType: string, to: string[]) => {
    if (to.length === 0) return;
    relationships.push({
      ...common('Relationship', id('relationship', `${relationshipType}/${from.slice(namespace.length)}`)),
      from,
      relationshipType,
      to,
    });
  };

  const agent = { ...common('SoftwareAgent', id('agent', 'assay')), name: report.tool.name };
  const tool = { ...common('Tool', id('tool', 'assay')), name: `${report.tool.name} ${report.tool.version}` };
  elements.push(agent, tool);

  // The model.
  const hub = hubModel(report.target.path);
  const card = report.model;
  const single = report.target.kind === 'file' && report.files.length === 1 ? report.files[0] : undefined;
  const modelId = id('model');
  const model: Element = {
    ...common('ai_AIPackage', modelId),
    name: hub?.repo ?? lastSegment(report.target.path),
    software_primaryPurpose: 'model',
  };
  if (hub) {
    model.software_downloadLocation = `https://huggingface.co/${hub.repo}`;
    if (hub.commit) model.software_packageVersion = hub.commit;
    if (hub.owner) {
      const supplier = { ...common('Organization', id('agent', hub.owner)), name: hub.owner };
      elements.push(supplier);
      model.suppliedBy = supplier.spdxId;
    }
  }
  if (single) model.verifiedUsing = [sha256(single.sha256)];
  elements.push(model);

  // Its licence: declared by the card, concluded by the compliance analysis when its evidence agrees.
  const licences = new Set<string>();
  const licence = (expression: string, link?: string) => {
    const spdxId = id('license', expression);
    if (licences.has(spdxId)) return spdxId;
    licences.add(spdxId);
    const element: Element = {
      ...common('simplelicensing_LicenseExpression', spdxId),
      simplelicensing_licenseExpression: expression,
    };
    if (link) element.simplelicensing_customIdToUri = [{ type: 'DictionaryEntry', key: expression, value: link }];
    elements.push(element);
    return spdxId;
  };
  const declared = declaredLicence(card);
  relate(modelId, 'hasDeclaredLicense', [
    declared ? licence(declared.expression, declared.link) : NO_ASSERTION_LICENSE,
  ]);
  const { compliance } = report;
  const concluded = compliance?.licence.status === 'identified' ? compliance.licence.effective : undefined;
  relate(modelId, 'hasConcludedLicense', [concluded ? licence(concluded.spdx) : NO_ASSERTION_LICENSE]);

  // Training data and lineage the card names.
  const datasetIds: string[] = [];
  for (const name of [...new Set(card?.datasets ?? [])]) {
    const dataset: Element = {
      ...common('dataset_DatasetPackage', id('dataset', name)),
      name,
      software_primaryPurpose: 'data',
      dataset_datasetType: ['noAssertion'],
    };
    const url = datasetUrl(name);
    if (url) dataset.software_downloadLocation = url;
    elements.push(dataset);
    datasetIds.push(dataset.spdxId);
    relate(dataset.spdxId, 'hasDeclaredLicense', [NO_ASSERTION_LICENSE]);
    relate(dataset.spdxId, 'hasConcludedLicense', [NO_ASSERTION_LICENSE]);
  }
  relate(modelId, 'trainedOn', datasetIds);

  const baseIds: string[] = [];
  for (const name of [...new Set(card?.baseModels ?? [])]) {
    const base: Element = { ...common('ai_AIPackage', id('base-model', name)), name, software_primaryPurpose: 'model' };
    const url = modelUrl(name);
    if (url) base.software_downloadLocation = url;
    elements.push(base);
    baseIds.push(base.spdxId);
    relate(base.spdxId, 'hasDeclaredLicense', [NO_ASSERTION_LICENSE]);
    relate(base.spdxId, 'hasConcludedLicense', [NO_ASSERTION_LICENSE]);
  }
  relate(modelId, 'descendantOf', baseIds);

  // Its files.
  const fileIds: string[] = [];
  for (const file of [...report.files].sort((a, b) => compareStrings(a.path, b.path))) {
    const spdxId = id('file', file.path);
    if (fileIds.includes(spdxId)) continue;
    elements.push({
      ...common('software_File', spdxId),
      name: file.path,
      verifiedUsing: [sha256(file.sha256)],
      comment: `format: ${file.format}; size: ${file.size} bytes`,
    });
    fileIds.push(spdxId);
  }
  relate(modelId, 'contains', fileIds);

  // What it declares it needs.
  const packages = packageElements(report.dependencies?.dependencies ?? [], (purl) => id('package', purl), common);
  elements.push(...packages);
  relate(
    modelId,
    'dependsOn',
    packages.map((element) => element.spdxId),
  );

  const document: Element = {
    ...common('SpdxDocument', id('document')),
    name: `assay audit of ${report.target.path}`,
    profileConformance: ['core', 'software', 'ai', 'dataset', 'simpleLicensing'],
    rootElement: [modelId],
    element: [...elements, ...relationships].map((element) => element.spdxId),
  };
  const creationInfo = {
    type: 'CreationInfo',
    '@id': CREATION_INFO,
    specVersion: '3.0.1',
    created: spdxDateTime(report.finishedAt),
    createdBy: [agent.spdxId],
    createdUsing: [tool.spdxId],
  };
  const graph = [creationInfo, document, ...elements, ...relationships];
  return `${JSON.stringify({ '@context': SPDX_CONTEXT, '@graph': graph }, null, 2)}\n`;
}

function sha256(hashValue: string) {
  return { type: 'Hash', algorithm: 'sha256', hashValue };
}

/** The card's licence as an SPDX licence expression (one id), with its link when that is a URL. */
function declaredLicence(card: Report['model']): { expression: string; link?: string } | undefined {
  if (!card || (card.license === undefined && card.licenseName === undefined)) return undefined;
  const link = absoluteUrl(card.licenseLink);
  const spdx = spdxLicenceId(card.license);
  if (spdx !== undefined) return { expression: spdx };
  const expression = licenseRef(card.licenseName ?? (card.license as string));
  return link ? { expression, link } : { expression };
}

/** One software_Package per purl, however many files declare it. */
function packageElements(
  dependencies: readonly Dependency[],
  idOf: (purl: string) => string,
  common: (type: string, spdxId: string) => Element,
): Element[] {
  const byPurl = new Map<string, Dependency>();
  for (const dependency of dependencies) if (!byPurl.has(dependency.purl)) byPurl.set(dependency.purl, dependency);
  return [...byPurl.values()]
    .sort((a, b) => compareStrings(a.purl, b.purl))
    .map((dependency) => ({
      ...common('software_Package', idOf(dependency.purl)),
      name: dependency.name,
      software_packageUrl: dependency.purl,
      software_primaryPurpose: 'library',
      ...(dependency.version === undefined ? {} : { software_packageVersion: dependency.version }),
    }));
}
