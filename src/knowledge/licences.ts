/**
 * Model licences the compliance engine knows: Hugging Face Hub licence ids mapped to SPDX (or `LicenseRef-hf-<id>`
 * where SPDX has none, by this table and never by spdx-correct, which guesses wrong for `gpl` and `lgpl-lr`), with the
 * terms that decide an intended use, each citing the clause it comes from. Summaries are for policy rules, not legal
 * advice. Terms marked "(secondary source)" or "(unverified)" were not confirmed against the licence text.
 * Sources: /work/shared/notes/licences.md; the texts in shared/data/licenses (see its SOURCES.md); spdx-license-list.
 */

/** Use cases a licence's use restrictions forbid, in the vocabulary of the policy's `intendedUse.useCases`. */
export const RESTRICTED_USE_CASES = [
  'medical-advice',
  'law-enforcement',
  'immigration',
  'automated-legal-decisions',
  'military',
  'weapons',
  'critical-infrastructure',
  'surveillance',
  'biometric-identification',
  'malware',
] as const;
export type RestrictedUseCase = (typeof RESTRICTED_USE_CASES)[number];

/** One term of a licence; `clause` says where in the text it sits, `summary` what it means in plain words. */
export type LicenceTerm = { clause: string; summary: string } & (
  | { kind: 'non-commercial' }
  | { kind: 'research-only' }
  | { kind: 'mau-threshold'; monthlyActiveUsers: number }
  | { kind: 'revenue-threshold'; annualRevenueUSD: number }
  /** Text to display or ship; `when` is what triggers it (any product or service, or only distribution of copies). */
  | { kind: 'attribution'; text: string; when: 'distribute' | 'any-use' }
  | { kind: 'ship-licence'; notice?: string }
  | { kind: 'derivative-naming'; prefix: string }
  | { kind: 'output-training-ban' }
  /** Use restrictions (an acceptable-use policy or Attachment A) that bind users and must flow down to derivatives. */
  | { kind: 'use-restrictions'; forbiddenUseCases: RestrictedUseCase[] }
  /** The grant is withheld from companies and individuals in these regions, for models of this modality. */
  | { kind: 'geo-exclusion'; regions: string[]; modality: 'multimodal' | 'any' }
  | { kind: 'share-alike' }
  | { kind: 'no-derivatives' }
  /** Copyleft: distributing requires the corresponding source; `network` extends it to users over a network (AGPL). */
  | { kind: 'copyleft'; network: boolean }
);
export type LicenceTermKind = LicenceTerm['kind'];

export interface LicenceEntry {
  /** The Hub's `license:` id (lowercase) or the `license_name` slug written with `license: other`. */
  id: string;
  spdx: string;
  name: string;
  /** Hub family ids (`openrail`, `bsd`, `gpl`, `cc`, ...) name no single licence: the members they may mean. */
  familyOf?: string[];
  commercial: 'yes' | 'no' | 'conditional';
  /** Where the licence's text comes from for identification: a shipped fingerprint or an SPDX text. */
  text?: { fingerprint: string } | { spdx: string };
  /** A separate acceptable-use policy text that identifies the same licence. */
  useText?: string;
  /** URL fragments `license_link` uses for this licence. */
  links?: string[];
  /** Permissive: no use restriction, no copyleft, commercial use allowed (a child under this over a restrictive parent is suspicious). */
  permissive: boolean;
  terms: LicenceTerm[];
  /** One line: why the entry says what it says. */
  reason: string;
}

const LLAMA_USE_CASES: RestrictedUseCase[] = ['military', 'weapons', 'critical-infrastructure', 'surveillance'];
const OPENRAIL_USE_CASES: RestrictedUseCase[] = [
  'medical-advice',
  'law-enforcement',
  'immigration',
  'automated-legal-decisions',
];
const MAU_700M = 700_000_000;

function llama(
  id: string,
  version: string,
  options: {
    name: string;
    attribution: string;
    prefix: string;
    outputBan: boolean;
    euMultimodal?: 'multimodal' | 'any';
    date: string;
    link: string;
  },
): LicenceEntry {
  const terms: LicenceTerm[] = [
    {
      kind: 'mau-threshold',
      monthlyActiveUsers: MAU_700M,
      clause: '§2 Additional Commercial Terms',
      summary: `above 700 million monthly active users on the ${version} release date you need a separate licence from Meta`,
    },
    {
      kind: 'ship-licence',
      notice: `${version} is licensed under the ${options.name}, Copyright © Meta Platforms, Inc. All Rights Reserved.`,
      clause: '§1.b.i(A), §1.b.iii',
      summary:
        'ship a copy of the agreement and a "Notice" file with the attribution notice in every copy you distribute',
    },
    {
      kind: 'attribution',
      text: options.attribution,
      when: 'any-use',
      clause: '§1.b.i(B)',
      summary: `prominently display "${options.attribution}" on a related website, user interface, blog post, about page or product documentation`,
    },
    {
      kind: 'derivative-naming',
      prefix: options.prefix,
      clause: '§1.b.i',
      summary: `a model created, trained or fine-tuned with the Llama Materials and distributed or made available must have a name beginning with "${options.prefix}"`,
    },
    {
      kind: 'use-restrictions',
      forbiddenUseCases: LLAMA_USE_CASES,
      clause: '§1.b.iv and the Acceptable Use Policy',
      summary:
        'use must follow the Acceptable Use Policy (no military, weapons, critical-infrastructure operation, unlawful surveillance, ...)',
    },
  ];
  if (options.outputBan)
    terms.push({
      kind: 'output-training-ban',
      clause: '§1.b.v',
      summary: `the Llama Materials or their outputs must not be used to improve any other large language model (only ${version} and its derivatives)`,
    });
  if (options.euMultimodal)
    terms.push({
      kind: 'geo-exclusion',
      regions: ['EU'],
      modality: options.euMultimodal,
      clause: 'Acceptable Use Policy, EU paragraph',
      summary:
        options.euMultimodal === 'multimodal'
          ? 'for the multimodal models, the §1(a) grant is not given to individuals domiciled or companies with a principal place of business in the EU (end users of products that include them are not affected)'
          : 'the §1(a) grant is not given to EU-domiciled individuals or EU companies for multimodal models, and every Llama 4 model is multimodal (secondary source); end users of products are not affected',
    });
  return {
    id,
    spdx: `LicenseRef-hf-${id}`,
    name: options.name,
    commercial: 'conditional',
    text: { fingerprint: id },
    useText: `${id}.use-policy`,
    links: [options.link],
    permissive: false,
    terms,
    reason: `${options.name} (${options.date}): commercial use below 700M MAU, AUP flows down`,
  };
}

const OPENRAIL_TERMS = (useCases: RestrictedUseCase[], attachment = 'Attachment A'): LicenceTerm[] => [
  {
    kind: 'use-restrictions',
    forbiddenUseCases: useCases,
    clause: `§5 and ${attachment}`,
    summary: `the use-based restrictions of ${attachment} bind you and must be included as an enforceable provision in any agreement under which you distribute the model or a derivative (§4.a)`,
  },
  {
    kind: 'ship-licence',
    clause: '§4.b–d',
    summary: 'give recipients a copy of the licence, mark modified files, and keep copyright and attribution notices',
  },
];

function creativeCommons(
  variant: 'by' | 'by-sa' | 'by-nc' | 'by-nc-sa' | 'by-nd' | 'by-nc-nd',
  version: '2.0' | '3.0' | '4.0',
): LicenceEntry {
  const id = `cc-${variant}-${version}`;
  const spdx = `CC-${variant.toUpperCase()}-${version}`;
  const nc = variant.includes('nc');
  const terms: LicenceTerm[] = [
    {
      kind: 'attribution',
      text: 'credit the licensor, link the licence, and indicate changes',
      when: 'distribute',
      clause: version === '4.0' ? '§3(a) Attribution' : '§4 Restrictions (attribution)',
      summary: 'when sharing the model or an adaptation, credit the creator, link the licence and say what you changed',
    },
  ];
  if (nc)
    terms.push({
      kind: 'non-commercial',
      clause: version === '4.0' ? '§1(i) NonCommercial, §2(a)(1)' : '§3–4 (NonCommercial)',
      summary: 'only uses not primarily intended for or directed towards commercial advantage or monetary compensation',
    });
  if (variant.includes('sa'))
    terms.push({
      kind: 'share-alike',
      clause: version === '4.0' ? '§3(b) ShareAlike' : '§4(b) ShareAlike',
      summary:
        'adapted material you share must be licensed under the same or a compatible licence (coverage of weights is unsettled)',
    });
  if (variant.includes('nd'))
    terms.push({
      kind: 'no-derivatives',
      clause: version === '4.0' ? '§2(a)(1)(B) NoDerivatives' : '§3 NoDerivatives',
      summary: 'you may share the material only unmodified: sharing a fine-tune or other adaptation is not licensed',
    });
  return {
    id,
    spdx,
    name: `Creative Commons ${variant.toUpperCase()} ${version}`,
    commercial: nc ? 'no' : 'yes',
    // Only the 4.0 texts are compared (SPDX has them all; older versions are identified by the card tag).
    text: version === '4.0' ? { spdx } : undefined,
    permissive: variant === 'by',
    terms,
    reason: `Creative Commons ${variant.toUpperCase()} ${version}${nc ? ': non-commercial' : ''}${variant.includes('nd') ? ', no adaptations' : ''}`,
  };
}

function permissive(
  id: string,
  spdx: string,
  name: string,
  summary: string,
  clause: string,
  compare = true,
): LicenceEntry {
  return {
    id,
    spdx,
    name,
    commercial: 'yes',
    text: compare ? { spdx } : undefined,
    permissive: true,
    terms: [{ kind: 'ship-licence', clause, summary }],
    reason: `${name}: permissive, keep the notices`,
  };
}

function copyleft(
  id: string,
  spdx: string,
  name: string,
  options: { network: boolean; clause: string; weak?: boolean },
): LicenceEntry {
  return {
    id,
    spdx,
    name,
    commercial: 'yes',
    text: { spdx },
    permissive: false,
    terms: [
      {
        kind: 'copyleft',
        network: options.network,
        clause: options.clause,
        summary: options.network
          ? 'distributing, or letting users interact with a modified version over a network, requires offering the corresponding source under the same licence (application to weights is unsettled)'
          : options.weak
            ? 'distributing modified versions of the licensed work requires their source under the same licence (weak copyleft)'
            : 'distributing the work or a derivative requires the corresponding source under the same licence (application to weights is unsettled)',
      },
    ],
    reason: `${name}: ${options.network ? 'network ' : options.weak ? 'weak ' : ''}copyleft`,
  };
}

function researchOnly(id: string, name: string, clause: string, reason: string): LicenceEntry {
  return {
    id,
    spdx: `LicenseRef-hf-${id}`,
    name,
    commercial: 'no',
    permissive: false,
    terms: [{ kind: 'research-only', clause, summary: 'non-commercial research use only' }],
    reason,
  };
}

const LICENCE_LIST: LicenceEntry[] = [
  permissive(
    'apache-2.0',
    'Apache-2.0',
    'Apache License 2.0',
    'keep the licence, the NOTICE file and change notices',
    '§4 Redistribution',
  ),
  permissive(
    'mit',
    'MIT',
    'MIT License',
    'keep the copyright notice and the permission notice in all copies',
    'second paragraph',
  ),
  permissive(
    'bsd-2-clause',
    'BSD-2-Clause',
    'BSD 2-Clause',
    'keep the copyright notice, conditions and disclaimer',
    'conditions 1–2',
  ),
  permissive(
    'bsd-3-clause',
    'BSD-3-Clause',
    'BSD 3-Clause',
    "keep the notices; no endorsement using the authors' names",
    'conditions 1–3',
  ),
  permissive(
    'bsd-3-clause-clear',
    'BSD-3-Clause-Clear',
    'BSD 3-Clause Clear',
    'keep the notices; no patent licence is granted',
    'conditions 1–3',
  ),
  permissive('isc', 'ISC', 'ISC License', 'keep the copyright and permission notice', 'permission notice'),
  permissive('unlicense', 'Unlicense', 'The Unlicense', 'public-domain dedication: nothing to keep', 'first paragraph'),
  permissive(
    'cc0-1.0',
    'CC0-1.0',
    'Creative Commons Zero 1.0',
    'public-domain dedication: nothing to keep',
    '§2 Waiver',
  ),
  permissive(
    'openmdw-1.0',
    'OpenMDW-1.0',
    'OpenMDW 1.0',
    'keep the licence and notices (terms unverified)',
    '§2 Conditions (unverified)',
  ),
  creativeCommons('by', '4.0'),
  creativeCommons('by', '3.0'),
  creativeCommons('by-sa', '4.0'),
  creativeCommons('by-nc', '4.0'),
  creativeCommons('by-nc', '3.0'),
  creativeCommons('by-nc-sa', '4.0'),
  creativeCommons('by-nd', '4.0'),
  creativeCommons('by-nc-nd', '4.0'),
  copyleft('gpl-2.0', 'GPL-2.0-only', 'GNU GPL v2', { network: false, clause: '§2–3' }),
  copyleft('gpl-3.0', 'GPL-3.0-only', 'GNU GPL v3', { network: false, clause: '§5–6' }),
  copyleft('lgpl-2.1', 'LGPL-2.1-only', 'GNU LGPL v2.1', { network: false, clause: '§2, §4', weak: true }),
  copyleft('lgpl-3.0', 'LGPL-3.0-only', 'GNU LGPL v3', { network: false, clause: '§2–4', weak: true }),
  copyleft('agpl-3.0', 'AGPL-3.0-only', 'GNU AGPL v3', { network: true, clause: '§13 Remote Network Interaction' }),
  copyleft('mpl-2.0', 'MPL-2.0', 'Mozilla Public License 2.0', { network: false, clause: '§3.2', weak: true }),
  llama('llama2', 'Llama 2', {
    name: 'Llama 2 Community License',
    attribution: 'Llama 2 is licensed under the LLAMA 2 Community License',
    prefix: 'Llama',
    outputBan: true,
    date: 'July 18, 2023',
    link: 'ai.meta.com/llama/license',
  }),
  llama('llama3', 'Meta Llama 3', {
    name: 'Meta Llama 3 Community License',
    attribution: 'Built with Meta Llama 3',
    prefix: 'Llama 3',
    outputBan: true,
    date: 'April 18, 2024',
    link: 'llama.meta.com/llama3/license',
  }),
  llama('llama3.1', 'Llama 3.1', {
    name: 'Llama 3.1 Community License',
    attribution: 'Built with Llama',
    prefix: 'Llama',
    outputBan: false,
    date: 'July 23, 2024',
    link: 'llama.meta.com/llama3_1/license',
  }),
  llama('llama3.2', 'Llama 3.2', {
    name: 'Llama 3.2 Community License',
    attribution: 'Built with Llama',
    prefix: 'Llama',
    outputBan: false,
    euMultimodal: 'multimodal',
    date: 'September 25, 2024',
    link: 'llama.com/llama3_2/license',
  }),
  llama('llama3.3', 'Llama 3.3', {
    name: 'Llama 3.3 Community License',
    attribution: 'Built with Llama',
    prefix: 'Llama',
    outputBan: false,
    date: 'December 6, 2024',
    link: 'llama.com/llama3_3/license',
  }),
  llama('llama4', 'Llama 4', {
    name: 'Llama 4 Community License',
    attribution: 'Built with Llama',
    prefix: 'Llama',
    outputBan: false,
    euMultimodal: 'any',
    date: 'April 5, 2025',
    link: 'llama.com/llama4/license',
  }),
  {
    id: 'gemma',
    spdx: 'LicenseRef-hf-gemma',
    name: 'Gemma Terms of Use',
    commercial: 'yes',
    text: { fingerprint: 'gemma' },
    links: ['ai.google.dev/gemma/terms'],
    permissive: false,
    terms: [
      {
        kind: 'use-restrictions',
        forbiddenUseCases: ['weapons', 'surveillance', 'critical-infrastructure'],
        clause: '§3.1(1), §3.2 and the Prohibited Use Policy',
        summary:
          'the §3.2 use restrictions must be an enforceable provision of any agreement under which you distribute Gemma or a Model Derivative; Google may restrict use remotely (§4.2)',
      },
      {
        kind: 'ship-licence',
        notice: 'Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms',
        clause: '§3.1(2)–(4)',
        summary:
          'give recipients the Terms of Use, mark modified files, and ship a "Notice" file (not needed for a Hosted Service)',
      },
    ],
    reason:
      'Gemma Terms of Use (March 24, 2025 copy): commercial, restrictions flow down; Model Derivatives include distillation from Outputs (§1(e))',
  },
  {
    id: 'creativeml-openrail-m',
    spdx: 'LicenseRef-hf-creativeml-openrail-m',
    name: 'CreativeML Open RAIL-M',
    commercial: 'yes',
    text: { fingerprint: 'creativeml-openrail-m' },
    permissive: false,
    terms: OPENRAIL_TERMS(OPENRAIL_USE_CASES),
    reason: 'CreativeML Open RAIL-M (Stable Diffusion 1.x, August 22, 2022): Attachment A flows down',
  },
  {
    id: 'openrail++',
    spdx: 'LicenseRef-hf-openrail-pp',
    name: 'CreativeML Open RAIL++-M',
    commercial: 'yes',
    text: { fingerprint: 'openrail++' },
    permissive: false,
    terms: OPENRAIL_TERMS(OPENRAIL_USE_CASES),
    reason: 'CreativeML Open RAIL++-M (SDXL 1.0, July 26, 2023; SD 2.x text of November 24, 2022 is nearly identical)',
  },
  {
    id: 'bigscience-openrail-m',
    spdx: 'LicenseRef-hf-bigscience-openrail-m',
    name: 'BigScience Open RAIL-M',
    commercial: 'yes',
    permissive: false,
    terms: OPENRAIL_TERMS(OPENRAIL_USE_CASES),
    reason: 'BigScience Open RAIL-M (August 18, 2022): Attachment A flows down (text not in our corpus; unverified)',
  },
  {
    id: 'bigscience-bloom-rail-1.0',
    spdx: 'LicenseRef-hf-bigscience-bloom-rail-1.0',
    name: 'BigScience BLOOM RAIL 1.0',
    commercial: 'yes',
    permissive: false,
    terms: OPENRAIL_TERMS(OPENRAIL_USE_CASES),
    reason: 'BLOOM RAIL 1.0: Attachment A flows down (text not in our corpus; unverified)',
  },
  {
    id: 'bigcode-openrail-m',
    spdx: 'LicenseRef-hf-bigcode-openrail-m',
    name: 'BigCode Open RAIL-M v1',
    commercial: 'yes',
    permissive: false,
    terms: OPENRAIL_TERMS([...OPENRAIL_USE_CASES, 'malware']),
    reason:
      'BigCode Open RAIL-M (StarCoder): Attachment A adds malware generation (text not in our corpus; unverified)',
  },
  researchOnly(
    'deepfloyd-if-license',
    'DeepFloyd IF License Agreement',
    'grant of rights (research purposes only; unverified)',
    'DeepFloyd IF: non-commercial research only (unverified)',
  ),
  researchOnly(
    'fair-noncommercial-research-license',
    'FAIR Noncommercial Research License',
    'grant of rights (noncommercial research use; unverified)',
    'FAIR NC research licence: never match SPDX `Fair`, an unrelated licence',
  ),
  researchOnly(
    'apple-amlr',
    'Apple Machine Learning Research Model License',
    'grant (research purposes; unverified)',
    'Apple AMLR: research only (unverified)',
  ),
  researchOnly('h-research', 'H Research License', 'grant (research; unverified)', 'research only (unverified)'),
  researchOnly(
    'intel-research',
    'Intel Research Use License',
    'grant (research; unverified)',
    'research only (unverified)',
  ),
  {
    id: 'qwen',
    spdx: 'LicenseRef-hf-qwen',
    name: 'Qwen License Agreement',
    commercial: 'conditional',
    permissive: false,
    terms: [
      {
        kind: 'mau-threshold',
        monthlyActiveUsers: 100_000_000,
        clause: '§4.a commercial terms (secondary source)',
        summary: 'above 100 million monthly active users you need a separate licence from Alibaba Cloud',
      },
      {
        kind: 'attribution',
        text: 'Built with Qwen',
        when: 'distribute',
        clause: 'attribution (unverified)',
        summary: 'mark products built on the model "Built with Qwen" (unverified)',
      },
    ],
    reason: 'Qwen LICENSE AGREEMENT (written as license: other, license_name: qwen): 100M MAU cap (secondary source)',
  },
  {
    id: 'stabilityai-community',
    spdx: 'LicenseRef-hf-stabilityai-community',
    name: 'Stability AI Community License',
    commercial: 'conditional',
    permissive: false,
    terms: [
      {
        kind: 'revenue-threshold',
        annualRevenueUSD: 1_000_000,
        clause: 'commercial use, revenue cap (secondary source)',
        summary:
          'commercial use is licensed up to US$1M annual revenue (with registration); above it you need an enterprise licence',
      },
      {
        kind: 'attribution',
        text: 'Powered by Stability AI',
        when: 'any-use',
        clause: 'attribution (secondary source)',
        summary: 'display "Powered by Stability AI" in products built on the model',
      },
    ],
    reason: 'Stability AI Community License (license: other): US$1M revenue cap (secondary source)',
  },
  {
    id: 'grok2-community',
    spdx: 'LicenseRef-hf-grok2-community',
    name: 'Grok 2 Community License',
    commercial: 'conditional',
    permissive: false,
    terms: [
      {
        kind: 'output-training-ban',
        clause: 'use restrictions (secondary source)',
        summary:
          'the materials or their outputs must not be used to train or improve other foundation or general large language models',
      },
    ],
    reason: 'Grok 2 Community License: commercial thresholds unverified, output-training ban (secondary source)',
  },
];

/** Hub family ids: they name a group of licences, so only a licence file can say which member applies. */
const FAMILIES: LicenceEntry[] = (
  [
    [
      'openrail',
      'Open RAIL (family)',
      [
        'creativeml-openrail-m',
        'openrail++',
        'bigscience-openrail-m',
        'bigscience-bloom-rail-1.0',
        'bigcode-openrail-m',
      ],
    ],
    ['bsd', 'BSD (family)', ['bsd-2-clause', 'bsd-3-clause', 'bsd-3-clause-clear']],
    ['gpl', 'GNU GPL (family)', ['gpl-2.0', 'gpl-3.0']],
    ['lgpl', 'GNU LGPL (family)', ['lgpl-2.1', 'lgpl-3.0']],
    [
      'cc',
      'Creative Commons (family)',
      LICENCE_LIST.filter((entry) => entry.id.startsWith('cc-')).map((entry) => entry.id),
    ],
  ] as const
).map(([id, name, members]) => ({
  id,
  spdx: `LicenseRef-hf-${id}`,
  name,
  familyOf: [...members],
  commercial: 'conditional',
  permissive: false,
  terms: [],
  reason: `the Hub id "${id}" names a family of licences; the licence file must say which one`,
}));

export const LICENCES: ReadonlyMap<string, LicenceEntry> = new Map(
  [...LICENCE_LIST, ...FAMILIES].map((entry) => [entry.id, entry]),
);

/** Licence by Hub id, `license_name` slug or SPDX id (case-insensitive). */
export function licenceById(id: string): LicenceEntry | undefined {
  const key = id.trim().toLowerCase();
  return LICENCES.get(key) ?? [...LICENCES.values()].find((entry) => entry.spdx.toLowerCase() === key);
}

/** Licence whose `license_link` fragment appears in the URL. */
export function licenceByLink(link: string): LicenceEntry | undefined {
  const lower = link.toLowerCase();
  return [...LICENCES.values()].find((entry) => entry.links?.some((fragment) => lower.includes(fragment)));
}
