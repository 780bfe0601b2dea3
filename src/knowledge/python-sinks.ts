/**
 * What calls in shipped Python code (modeling_*.py, custom tokenizers, handler scripts) can do to the machine that
 * imports them. `trust_remote_code=True` imports these files with the user's privileges, so each entry is a
 * capability a model repository should not need. Every entry carries the reason it is here and its severity,
 * and the severity is justified per category below.
 *
 * Targets are dotted names after alias resolution (`import subprocess as sp; sp.run` is `subprocess.run`;
 * builtins are bare: `exec`). `prefix` entries match the name and everything under it (`requests` covers
 * `requests.get` and `requests.Session`).
 */
import type { Severity } from '../core/severity.js';

export type SinkCategory =
  | 'shell'
  | 'decoded-exec'
  | 'exec'
  | 'network'
  | 'unsafe-load'
  | 'remote-code'
  | 'dynamic-import'
  | 'native-code'
  | 'module-mutation'
  | 'file-outside';

/**
 * When a call is a finding. The parser evaluates the condition on the call's arguments; no condition = always.
 * - `non-literal`: the first argument is not a string literal (a literal is analysed as code instead).
 * - `unless-weights-only`: no `weights_only=True` keyword (torch.load then unpickles arbitrary objects).
 * - `if-allow-pickle`: an `allow_pickle=True` keyword (numpy.load refuses object arrays otherwise).
 * - `unless-safe-loader`: no `Loader=` naming a safe YAML loader.
 * - `write-outside`: opened for writing (mode with w, a, x or +) on a path that is absolute, under `~` or climbs with `..`.
 * - `path-outside`: a path argument that is absolute, under `~` or climbs with `..`.
 * - `module-target`: the first argument is an imported module (not an instance).
 */
export type SinkCondition =
  | 'non-literal'
  | 'unless-weights-only'
  | 'if-allow-pickle'
  | 'unless-safe-loader'
  | 'write-outside'
  | 'path-outside'
  | 'module-target';

export interface PythonSink {
  id: string;
  category: SinkCategory;
  severity: Severity;
  targets: readonly string[];
  /** Targets that match themselves and everything under them. */
  prefixes?: readonly string[];
  condition?: SinkCondition;
  reason: string;
}

/** Why each category has its severity (shown in rule documentation). */
export const CATEGORY_SEVERITY: Readonly<Record<SinkCategory, { severity: Severity; why: string }>> = {
  shell: {
    severity: 'critical',
    why: 'a command line runs any program with the user’s privileges; no modelling code needs it',
  },
  'decoded-exec': {
    severity: 'critical',
    why: 'code hidden behind an encoding is built to evade review: the only reason to encode code is to hide it',
  },
  exec: {
    severity: 'high',
    why: 'runs code that is not visible in the file; it may be harmless configuration but cannot be reviewed',
  },
  network: {
    severity: 'high',
    why: 'loading a model should not talk to the network: exfiltration, or fetching the next stage',
  },
  'unsafe-load': {
    severity: 'high',
    why: 'unpickling (or YAML object tags) runs whatever code the loaded file names',
  },
  'remote-code': {
    severity: 'high',
    why: 'fetches code from elsewhere and runs it, outside this audit',
  },
  'dynamic-import': {
    severity: 'high',
    why: 'the module is chosen at run time, which hides which code runs from review',
  },
  'native-code': {
    severity: 'high',
    why: 'native libraries bypass every Python-level check and can do anything the process can',
  },
  'module-mutation': {
    severity: 'high',
    why: 'replacing a library function changes behaviour process-wide (for example torch.load or open)',
  },
  'file-outside': {
    severity: 'medium',
    why: 'writes or deletes outside the model folder; destructive or persistent, but not code execution by itself',
  },
};

const sink = (
  id: string,
  category: SinkCategory,
  targets: readonly string[],
  reason: string,
  extra: { prefixes?: readonly string[]; condition?: SinkCondition } = {},
): PythonSink => ({ id, category, severity: CATEGORY_SEVERITY[category].severity, targets, reason, ...extra });

const OS_EXEC = ['execl', 'execle', 'execlp', 'execlpe', 'execv', 'execve', 'execvp', 'execvpe'];
const OS_SPAWN = ['spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe'];
const OS_NAMES = ['os', 'posix', 'nt'];
const osNames = (names: readonly string[]) => OS_NAMES.flatMap((module) => names.map((name) => `${module}.${name}`));

export const PYTHON_SINKS: readonly PythonSink[] = [
  sink('os-system', 'shell', osNames(['system', 'popen', 'popen2', 'popen3', 'popen4']), 'runs a shell command line'),
  sink(
    'os-exec',
    'shell',
    osNames([...OS_EXEC, ...OS_SPAWN, 'posix_spawn', 'posix_spawnp', 'startfile']),
    'replaces the process or starts a program',
  ),
  sink('subprocess', 'shell', [], 'starts a process', { prefixes: ['subprocess', '_posixsubprocess'] }),
  sink('pty-spawn', 'shell', ['pty.spawn'], 'runs a program on a pseudo-terminal (a classic reverse shell)'),
  sink('legacy-shell', 'shell', ['platform.popen'], 'runs a shell command line', {
    prefixes: ['commands', 'popen2'],
  }),
  sink(
    'asyncio-subprocess',
    'shell',
    ['asyncio.create_subprocess_shell', 'asyncio.create_subprocess_exec'],
    'starts a process from the event loop',
  ),
  sink('marshal-load', 'decoded-exec', ['marshal.loads', 'marshal.load'], 'builds code objects from bytes'),
  sink('code-object', 'decoded-exec', ['types.CodeType'], 'builds a code object by hand'),
  sink('exec-decoded', 'decoded-exec', [], 'executes code that is decoded (base64, zlib, hex, rot13, ...) at run time'),
  sink('exec', 'exec', ['exec', 'eval', 'compile', 'execfile'], 'executes code computed at run time', {
    condition: 'non-literal',
  }),
  sink('runpy', 'exec', ['runpy.run_path', 'runpy.run_module', 'runpy._run_code'], 'runs a script or module by name'),
  sink(
    'interpreter',
    'exec',
    ['code.interact', 'code.InteractiveInterpreter', 'code.InteractiveConsole', 'pdb.run', 'bdb.Bdb.run'],
    'runs code strings through an interpreter object',
  ),
  sink('socket', 'network', ['socket.socket', 'socket.create_connection', 'socket.fromfd'], 'opens a network socket', {
    prefixes: ['_socket', 'ssl.wrap_socket', 'ssl.create_connection'],
  }),
  sink(
    'urllib',
    'network',
    [
      'urllib.request.urlopen',
      'urllib.request.urlretrieve',
      'urllib.request.build_opener',
      'urllib.urlopen',
      'urllib.urlretrieve',
      'urllib2.urlopen',
      'urllib2.build_opener',
    ],
    'fetches a URL',
  ),
  sink(
    'http-client',
    'network',
    ['http.client.HTTPConnection', 'http.client.HTTPSConnection', 'httplib.HTTPConnection', 'httplib.HTTPSConnection'],
    'opens an HTTP connection',
  ),
  sink('http-library', 'network', [], 'makes HTTP requests', {
    prefixes: ['requests', 'httpx', 'aiohttp', 'urllib3', 'pycurl', 'httplib2', 'websocket', 'websockets'],
  }),
  sink('other-protocol', 'network', [], 'talks FTP, SMTP, Telnet or SSH', {
    prefixes: ['ftplib', 'smtplib', 'telnetlib', 'paramiko', 'poplib', 'imaplib', 'xmlrpc.client'],
  }),
  sink(
    'pickle-load',
    'unsafe-load',
    [
      ...['pickle', 'cPickle', '_pickle', 'dill', 'cloudpickle'].flatMap((module) => [
        `${module}.load`,
        `${module}.loads`,
        `${module}.Unpickler`,
      ]),
      'pandas.read_pickle',
      'shelve.open',
      'jsonpickle.decode',
      'joblib.load',
      'sklearn.externals.joblib.load',
    ],
    'unpickles data: whatever the data names is imported and called',
  ),
  sink(
    'torch-load',
    'unsafe-load',
    ['torch.load', 'torch.serialization.load'],
    'unpickles a checkpoint (weights_only is not set to True)',
    {
      condition: 'unless-weights-only',
    },
  ),
  sink('numpy-pickle', 'unsafe-load', ['numpy.load'], 'loads object arrays, which are pickles (allow_pickle=True)', {
    condition: 'if-allow-pickle',
  }),
  sink(
    'yaml-load',
    'unsafe-load',
    ['yaml.load', 'yaml.load_all'],
    'parses YAML with a loader that builds Python objects',
    {
      condition: 'unless-safe-loader',
    },
  ),
  sink(
    'yaml-unsafe',
    'unsafe-load',
    ['yaml.unsafe_load', 'yaml.unsafe_load_all'],
    'parses YAML building arbitrary Python objects',
  ),
  sink(
    'torch-hub',
    'remote-code',
    ['torch.hub.load', 'torch.hub.load_state_dict_from_url', 'torch.utils.model_zoo.load_url'],
    'downloads code or a pickled checkpoint and runs it',
  ),
  sink('trust-remote-code', 'remote-code', [], 'loads another model with trust_remote_code=True: its code runs too'),
  sink(
    'dynamic-import',
    'dynamic-import',
    ['__import__', 'importlib.import_module', 'importlib.__import__'],
    'imports a module whose name is computed',
    {
      condition: 'non-literal',
    },
  ),
  sink(
    'load-source',
    'dynamic-import',
    ['imp.load_source', 'imp.load_module', 'importlib.machinery.SourceFileLoader', 'zipimport.zipimporter'],
    'imports code from an arbitrary file',
  ),
  sink(
    'ctypes',
    'native-code',
    ['ctypes.CDLL', 'ctypes.PyDLL', 'ctypes.WinDLL', 'ctypes.OleDLL', 'ctypes.pythonapi'],
    'loads and calls native code',
    {
      prefixes: ['ctypes.cdll', 'ctypes.windll', 'ctypes.pydll', '_ctypes'],
    },
  ),
  sink('setattr-module', 'module-mutation', ['setattr'], 'replaces an attribute of an imported module', {
    condition: 'module-target',
  }),
  sink('module-assignment', 'module-mutation', [], 'assigns over a sensitive library function'),
  sink(
    'open-write',
    'file-outside',
    ['open', 'io.open', 'codecs.open'],
    'opens a file outside the model folder for writing',
    {
      condition: 'write-outside',
    },
  ),
  sink(
    'delete-path',
    'file-outside',
    [
      'os.remove',
      'os.unlink',
      'os.rmdir',
      'os.removedirs',
      'os.rename',
      'os.replace',
      'os.chmod',
      'os.chown',
      'shutil.move',
      'shutil.copy',
      'shutil.copyfile',
      'shutil.copytree',
    ],
    'changes or deletes a path outside the model folder',
    { condition: 'path-outside' },
  ),
  sink('rmtree', 'file-outside', ['shutil.rmtree'], 'deletes a directory tree'),
];

/** Calls that decode bytes or text: their output fed to exec / eval / compile is hidden code. */
export const PYTHON_DECODERS: readonly string[] = [
  ...[
    'b64decode',
    'standard_b64decode',
    'urlsafe_b64decode',
    'b32decode',
    'b32hexdecode',
    'b16decode',
    'a85decode',
    'b85decode',
    'decodebytes',
    'decodestring',
  ].map((name) => `base64.${name}`),
  ...['zlib', 'gzip', 'bz2', 'lzma'].map((module) => `${module}.decompress`),
  'codecs.decode',
  'binascii.unhexlify',
  'binascii.a2b_hex',
  'binascii.a2b_base64',
  'bytes.fromhex',
  'bytearray.fromhex',
  'marshal.loads',
];

/** Aliases the interpreter itself provides: `builtins.exec` is `exec`. */
export const BUILTIN_MODULES: readonly string[] = ['builtins', '__builtin__', '__builtins__'];

/** Keyword values for YAML loaders that only build plain data. */
export const SAFE_YAML_LOADERS: readonly string[] = ['SafeLoader', 'CSafeLoader', 'BaseLoader', 'CBaseLoader'];

const EXACT = new Map<string, PythonSink>();
const PREFIXES: [string, PythonSink][] = [];
for (const entry of PYTHON_SINKS) {
  for (const target of entry.targets) EXACT.set(target, entry);
  for (const prefix of entry.prefixes ?? []) PREFIXES.push([prefix, entry]);
}
const BY_ID = new Map(PYTHON_SINKS.map((entry) => [entry.id, entry]));

/** The sink a resolved call target names, if any. */
export function findPythonSink(target: string): PythonSink | undefined {
  const exact = EXACT.get(target);
  if (exact) return exact;
  for (const [prefix, entry] of PREFIXES) if (target === prefix || target.startsWith(`${prefix}.`)) return entry;
  return undefined;
}

export function pythonSinkById(id: string): PythonSink | undefined {
  return BY_ID.get(id);
}

export function isPythonDecoder(target: string): boolean {
  return PYTHON_DECODERS.includes(target);
}
