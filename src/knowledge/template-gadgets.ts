/**
 * Names that turn a Jinja chat template into a server-side template injection (SSTI) gadget. Each entry says
 * why a template has no business reaching it. Rules look names up here; the template walker only reports
 * what a template accesses.
 *
 * Background: jinja2's `SandboxedEnvironment` refuses attributes starting with `_` and unsafe callables;
 * loaders that render chat templates with a plain `Environment` (llama-cpp-python < 0.2.72, CVE-2024-34359)
 * let a template walk from any object to `os.system`.
 */

export type GadgetFamily = 'dunder' | 'sink' | 'entry-point' | 'framework';

export interface TemplateGadget {
  name: string;
  family: GadgetFamily;
  reason: string;
}

const DUNDERS: readonly TemplateGadget[] = [
  { name: '__class__', family: 'dunder', reason: 'climbs from any value to its Python class' },
  { name: '__mro__', family: 'dunder', reason: "lists a class's bases up to `object`, the root of every class" },
  { name: '__base__', family: 'dunder', reason: "climbs to a class's base, usually `object`" },
  { name: '__bases__', family: 'dunder', reason: "climbs to a class's bases, usually `object`" },
  {
    name: '__subclasses__',
    family: 'dunder',
    reason: 'enumerates every loaded class (warnings.catch_warnings, subprocess.Popen, os._wrap_close, ...)',
  },
  { name: '__globals__', family: 'dunder', reason: "reaches a function's module globals (os, sys, builtins)" },
  { name: '__builtins__', family: 'dunder', reason: 'reaches eval, exec, open and __import__' },
  { name: '__init__', family: 'dunder', reason: 'a Python function whose `__globals__` is one step away' },
  { name: '__getitem__', family: 'dunder', reason: 'indexes without `[]`, a filter-evasion step' },
  { name: '__import__', family: 'dunder', reason: 'imports any module (os, subprocess) by name' },
  {
    name: '__getattribute__',
    family: 'dunder',
    reason: 'reads any attribute by a computed name, bypassing attribute filters',
  },
  { name: '__dict__', family: 'dunder', reason: "exposes an object's or module's namespace" },
  { name: '__code__', family: 'dunder', reason: "exposes a function's bytecode object" },
  { name: '__func__', family: 'dunder', reason: 'unwraps a bound method to its function and globals' },
  { name: '__self__', family: 'dunder', reason: 'climbs from a bound method or builtin to its owner (a module)' },
  { name: '__closure__', family: 'dunder', reason: "reaches a function's captured variables" },
  { name: '__reduce__', family: 'dunder', reason: 'returns a callable and its arguments (a pickle gadget)' },
  { name: '__reduce_ex__', family: 'dunder', reason: 'returns a callable and its arguments (a pickle gadget)' },
  { name: '__loader__', family: 'dunder', reason: 'reaches the module loader, which can load code' },
  { name: '__spec__', family: 'dunder', reason: "reaches a module's import machinery" },
  { name: '__name__', family: 'dunder', reason: 'used to pick a gadget class out of `__subclasses__()`' },
];

const SINKS: readonly TemplateGadget[] = [
  { name: 'os', family: 'sink', reason: 'the os module runs commands and touches files' },
  { name: 'subprocess', family: 'sink', reason: 'the subprocess module starts programs' },
  { name: 'popen', family: 'sink', reason: 'runs a shell command (os.popen)' },
  { name: 'eval', family: 'sink', reason: 'evaluates Python code from a string' },
  { name: 'exec', family: 'sink', reason: 'executes Python code from a string' },
  { name: 'compile', family: 'sink', reason: 'compiles Python code from a string' },
  { name: 'import', family: 'sink', reason: 'imports a module by name' },
  { name: 'import_module', family: 'sink', reason: 'imports a module by name (importlib.import_module)' },
  { name: 'importlib', family: 'sink', reason: 'imports modules by name' },
  { name: 'builtins', family: 'sink', reason: 'the builtins module: eval, exec, open, __import__' },
  { name: 'sys', family: 'sink', reason: 'sys.modules holds every loaded module, os and subprocess included' },
  { name: 'modules', family: 'sink', reason: 'sys.modules holds every loaded module' },
  { name: 'open', family: 'sink', reason: 'opens files for reading or writing' },
  { name: 'environ', family: 'sink', reason: 'process environment: tokens and secrets' },
  { name: 'getattr', family: 'sink', reason: 'reads attributes by computed name, bypassing attribute checks' },
  { name: 'globals', family: 'sink', reason: 'returns the module namespace' },
  { name: 'locals', family: 'sink', reason: 'returns the local namespace' },
  { name: 'func_globals', family: 'sink', reason: 'Python 2 spelling of __globals__' },
  { name: 'f_globals', family: 'sink', reason: "a frame's module globals" },
  { name: 'f_back', family: 'sink', reason: "climbs the interpreter's call stack" },
  { name: 'gi_frame', family: 'sink', reason: "a generator's frame, a step to f_globals" },
  { name: 'check_output', family: 'sink', reason: 'runs a program (subprocess.check_output)' },
  { name: 'urlopen', family: 'sink', reason: 'opens a network connection (exfiltration)' },
];

/** Jinja's default globals: callables whose attributes lead to Python internals. Calling them is ordinary. */
const ENTRY_POINTS: readonly TemplateGadget[] = [
  { name: 'cycler', family: 'entry-point', reason: 'Jinja global class; `cycler.__init__.__globals__` reaches os' },
  { name: 'joiner', family: 'entry-point', reason: 'Jinja global class; `joiner.__init__.__globals__` reaches os' },
  {
    name: 'namespace',
    family: 'entry-point',
    reason: 'Jinja global class; `namespace.__init__.__globals__` reaches os',
  },
  { name: 'lipsum', family: 'entry-point', reason: 'Jinja global function; `lipsum.__globals__` reaches os' },
  { name: 'range', family: 'entry-point', reason: 'Python builtin exposed as a Jinja global' },
  { name: 'dict', family: 'entry-point', reason: 'Python builtin exposed as a Jinja global' },
];

/** Objects web frameworks put in every template context; chat renderers do not, so a reference is an attack. */
const FRAMEWORK: readonly TemplateGadget[] = [
  { name: 'config', family: 'framework', reason: "Flask's config object: secrets, and a class chain to os" },
  { name: 'request', family: 'framework', reason: "Flask's request object: `request.application.__globals__`" },
  { name: 'self', family: 'framework', reason: "jinja2's TemplateReference: `self._TemplateReference__context`" },
  { name: 'url_for', family: 'framework', reason: 'Flask global function; `url_for.__globals__` reaches os' },
  {
    name: 'get_flashed_messages',
    family: 'framework',
    reason: 'Flask global function; `get_flashed_messages.__globals__` reaches os',
  },
];

export const TEMPLATE_GADGETS: readonly TemplateGadget[] = [...DUNDERS, ...SINKS, ...ENTRY_POINTS, ...FRAMEWORK];

const BY_NAME = new Map(TEMPLATE_GADGETS.map((gadget) => [gadget.name, gadget]));

/** The table entry for a name, or a generic one for any other dunder; undefined for ordinary names. */
export function templateGadget(name: string): TemplateGadget | undefined {
  const known = BY_NAME.get(name);
  if (known) return known;
  if (name.length > 4 && name.startsWith('__') && name.endsWith('__')) {
    return { name, family: 'dunder', reason: "a Python special attribute; jinja2's sandbox refuses every one" };
  }
  return undefined;
}

/** `_private` (and name-mangled `_Class__private`) attributes, which jinja2's sandbox refuses. */
export function isPrivateName(name: string): boolean {
  return name.startsWith('_') && templateGadget(name) === undefined;
}
