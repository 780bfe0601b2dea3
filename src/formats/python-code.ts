/**
 * Shipped Python code (modeling_*.py and friends, which `trust_remote_code=True` imports) read without running it:
 * a real tokenizer, then a light parser over tokens that follows imports and aliases
 * (`import os as o`, `from subprocess import Popen as P`, `getattr(__import__('os'), 'system')`,
 * `sys.modules['os']`, string concatenation) and reports the calls the knowledge table names as sinks,
 * with their line, column and a (secret-masked) excerpt. Also reports `auto_map` entries of config.json and
 * tokenizer_config.json: the files that `trust_remote_code` would import.
 */
import { posix } from 'node:path';
import {
  BUILTIN_MODULES,
  findPythonSink,
  isPythonDecoder,
  type PythonSink,
  pythonSinkById,
  SAFE_YAML_LOADERS,
  type SinkCategory,
} from '../knowledge/python-sinks.js';
import type { Fact } from './facts.js';
import type { TextInput, TextInspector } from './plugins.js';
import { importDependencies } from './python-imports.js';
import { SourceLines, type Token, tokenize } from './python-tokenizer.js';
import { redactSecrets } from './secrets.js';

export interface AutoMapEntry {
  /** The Auto class or pipeline task, e.g. `AutoModelForCausalLM`. */
  key: string;
  /** As written, e.g. `modeling_x.XModel` or `org/repo--modeling_x.XModel`. */
  reference: string;
  /** Another Hub repository the code is fetched from (`org/repo--module.Class`). */
  repo?: string;
  module: string;
  className: string;
  /** The Python file, relative to the folder of the config file. */
  file: string;
}

export type PythonCodeFact =
  /** A call (or assignment) the sink table names, with what it resolved to. */
  | {
      kind: 'python-sink';
      sink: string;
      category: SinkCategory;
      /** The dotted name after aliases were resolved, e.g. `os.system`. */
      target: string;
      line: number;
      column: number;
      /** The source line, trimmed, at most 200 characters, secrets masked. */
      excerpt: string;
      /** How the code spelled the target when it differs (`o.system`, `getattr(__import__('os'), 'system')`). */
      via?: string;
      /** The first string argument (a command, a URL, a path), at most 120 characters, secrets masked. */
      argument?: string;
      /** Extra context: the decoder feeding exec, or the exec string this call was found in. */
      detail?: string;
    }
  /** The tokenizer could not read part of the file; analysis went on after the error. */
  | { kind: 'python-syntax-error'; line: number; column: number; detail: string; count: number }
  /** `auto_map` (and `custom_pipelines`) of a config: classes whose code `trust_remote_code` imports. */
  | { kind: 'python-auto-map'; entries: AutoMapEntry[] };

export interface PythonLimits {
  maxTokens: number;
  /** Sink facts per file. */
  maxFacts: number;
  /** exec("...") strings analysed inside exec strings. */
  maxExecDepth: number;
  /** Brackets nested inside brackets. */
  maxNesting: number;
}

export const DEFAULT_PYTHON_LIMITS: PythonLimits = {
  maxTokens: 2_000_000,
  maxFacts: 500,
  maxExecDepth: 4,
  maxNesting: 200,
};

// ---- expressions --------------------------------------------------------------------------------------------

type Expr =
  | { t: 'str'; value?: string; head: string; tok: Token; fields: Expr[] }
  | { t: 'const'; value: string; tok: Token }
  | { t: 'name'; name: string; tok: Token }
  | { t: 'attr'; object: Expr; name: string; tok: Token }
  | { t: 'call'; callee: Expr; args: Arg[]; tok: Token }
  | { t: 'sub'; object: Expr; index?: Expr; tok: Token }
  | { t: 'group'; items: Expr[]; ops: string[]; tok?: Token };

interface Arg {
  name?: string;
  star?: boolean;
  value: Expr;
}

const KEYWORDS = new Set([
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'continue',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
  'def',
  'class',
  'import',
]);
const CONSTANTS = new Set(['True', 'False', 'None']);
const COMPOUND = new Set([
  'if',
  'elif',
  'else',
  'while',
  'for',
  'try',
  'except',
  'finally',
  'with',
  'def',
  'class',
  'async',
]);
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Parses expressions from a slice of tokens; never throws, always advances. */
class ExpressionParser {
  pos: number;
  private nesting = 0;
  tooDeep = false;

  constructor(
    private readonly tokens: readonly Token[],
    start: number,
    private readonly end: number,
    private readonly maxNesting: number,
  ) {
    this.pos = start;
  }

  private peek(): Token | undefined {
    return this.pos < this.end ? this.tokens[this.pos] : undefined;
  }

  private isOp(token: Token | undefined, value: string): boolean {
    return token?.type === 'op' && token.value === value;
  }

  /** Primaries and the operators between them, up to a stop token (not consumed) or the end of the slice. */
  sequence(stops: ReadonlySet<string>): Expr {
    const items: Expr[] = [];
    const ops: string[] = [];
    let first: Token | undefined;
    while (this.pos < this.end) {
      const token = this.tokens[this.pos];
      if (token.type === 'op' && stops.has(token.value)) break;
      first ??= token;
      const primary = this.primary();
      if (primary) items.push(primary);
      else {
        ops.push(token.value);
        this.pos++;
      }
    }
    if (items.length === 1 && ops.length === 0) return items[0];
    return { t: 'group', items, ops, tok: first };
  }

  /** Comma-separated items up to the end of the slice (top level of a statement part). */
  tuple(): Expr {
    const items: Expr[] = [];
    const stops = new Set([',']);
    while (this.pos < this.end) {
      items.push(this.sequence(stops));
      if (this.isOp(this.peek(), ',')) this.pos++;
    }
    return items.length === 1 ? items[0] : { t: 'group', items, ops: [','] };
  }

  private primary(): Expr | undefined {
    let expr = this.atom();
    if (!expr) return undefined;
    const tok = 'tok' in expr && expr.tok ? expr.tok : this.tokens[this.pos - 1];
    for (;;) {
      const token = this.peek();
      if (this.isOp(token, '.') && this.tokens[this.pos + 1]?.type === 'name' && this.pos + 1 < this.end) {
        expr = { t: 'attr', object: expr, name: this.tokens[this.pos + 1].value, tok };
        this.pos += 2;
      } else if (this.isOp(token, '(')) {
        this.pos++;
        expr = { t: 'call', callee: expr, args: this.items(')'), tok };
      } else if (this.isOp(token, '[')) {
        this.pos++;
        const args = this.items(']');
        expr = { t: 'sub', object: expr, index: args.length === 1 ? args[0].value : undefined, tok };
      } else return expr;
    }
  }

  private atom(): Expr | undefined {
    const token = this.peek();
    if (!token) return undefined;
    switch (token.type) {
      case 'name':
        if (CONSTANTS.has(token.value)) {
          this.pos++;
          return { t: 'const', value: token.value, tok: token };
        }
        if (KEYWORDS.has(token.value)) return undefined;
        this.pos++;
        return { t: 'name', name: token.value, tok: token };
      case 'number':
        this.pos++;
        return { t: 'const', value: token.value, tok: token };
      case 'string':
        return this.strings();
      case 'op':
        if (token.value in CLOSERS) {
          this.pos++;
          const items = this.items(CLOSERS[token.value]).map((arg) => arg.value);
          return { t: 'group', items, ops: [token.value], tok: token };
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** Adjacent string literals concatenate; an f-string among them makes the value unknown. */
  private strings(): Expr {
    const tok = this.tokens[this.pos];
    let value: string | undefined = '';
    let head = '';
    let headOpen = true;
    const fields: Expr[] = [];
    while (this.peek()?.type === 'string') {
      const token = this.tokens[this.pos++];
      if (token.literal !== undefined && value !== undefined) value += token.literal;
      else value = undefined;
      if (headOpen) {
        if (token.literal !== undefined) head += token.literal;
        else {
          const body = token.value.slice(token.prefix?.length ?? 0).replace(/^("""|'''|"|')/, '');
          head += body.slice(0, Math.max(0, body.indexOf('{')));
          headOpen = false;
        }
      }
      for (const field of token.fields ?? []) {
        const parser = new ExpressionParser(field, 0, field.length, this.maxNesting - this.nesting);
        fields.push(parser.tuple());
        if (parser.tooDeep) this.tooDeep = true;
      }
    }
    return { t: 'str', value, head, tok, fields };
  }

  /** Items up to `closer` (consumed): `name=value` keywords, `*args`, `**kwargs`, plain values. */
  private items(closer: string): Arg[] {
    const args: Arg[] = [];
    if (++this.nesting > this.maxNesting) {
      this.tooDeep = true;
      this.skipTo(closer);
      this.nesting--;
      return args;
    }
    const stops = new Set([',', closer]);
    while (this.pos < this.end) {
      const token = this.tokens[this.pos];
      if (this.isOp(token, closer)) {
        this.pos++;
        break;
      }
      if (this.isOp(token, ',')) {
        this.pos++;
        continue;
      }
      let name: string | undefined;
      let star = false;
      if (token.type === 'name' && this.isOp(this.tokens[this.pos + 1], '=') && this.pos + 1 < this.end) {
        name = token.value;
        this.pos += 2;
      } else if (this.isOp(token, '*') || this.isOp(token, '**')) {
        star = true;
        this.pos++;
      }
      args.push({ name, star, value: this.sequence(stops) });
    }
    this.nesting--;
    return args;
  }

  private skipTo(closer: string) {
    let depth = 1;
    while (this.pos < this.end && depth > 0) {
      const token = this.tokens[this.pos++];
      if (token.type !== 'op') continue;
      if (token.value in CLOSERS) depth++;
      else if (token.value === closer || token.value === ')' || token.value === ']' || token.value === '}') depth--;
    }
  }
}

// ---- analysis -----------------------------------------------------------------------------------------------

interface Context {
  /** Nesting of exec("...") strings being analysed. */
  execDepth: number;
  /** Findings inside an exec string are reported at the line of the exec call. */
  line?: number;
  detail?: string;
}

/** Reads one Python source and reports sink facts. */
export class PythonAnalyser {
  /** Local name → dotted name it stands for (imports and aliases). */
  private readonly bindings = new Map<string, string>();
  /** Names bound by an import statement (their attributes are module attributes). */
  private readonly imported = new Set<string>();
  /** Names assigned a string literal (for `cmd = "..."; os.system(cmd)` and `__import__(name)`). */
  private readonly constants = new Map<string, string>();
  /** Names assigned the output of a decoder. */
  private readonly decoded = new Map<string, string>();
  private readonly starModules: string[] = [];
  /** Absolute imports (`pkg` or `namespace.pkg`) → first line, for the dependencies they imply. */
  private readonly importedModules = new Map<string, number>();
  private readonly lines: SourceLines;
  private factCount = 0;
  private limited = false;
  private deep = false;

  constructor(
    text: string,
    private readonly facts: Fact[],
    private readonly limits: PythonLimits = DEFAULT_PYTHON_LIMITS,
  ) {
    this.lines = new SourceLines(text);
    this.source = text;
  }

  private readonly source: string;

  run(): void {
    this.code(this.source, { execDepth: 0 });
    this.facts.push(...importDependencies(this.importedModules));
    if (this.deep) {
      this.facts.push({
        kind: 'limit-reached',
        limit: 'python-nesting',
        value: this.limits.maxNesting,
        detail: `brackets nested deeper than ${this.limits.maxNesting} levels were not analysed`,
      });
    }
  }

  private code(text: string, context: Context, line?: number, column?: number): void {
    const result = tokenize(text, { maxTokens: this.limits.maxTokens, line, column });
    if (context.execDepth === 0 && result.errors.length > 0) {
      const first = result.errors[0];
      this.facts.push({
        kind: 'python-syntax-error',
        line: first.line,
        column: first.column,
        detail: first.detail,
        count: result.errors.length,
      });
    }
    if (result.truncated) {
      this.facts.push({
        kind: 'limit-reached',
        limit: 'python-tokens',
        value: this.limits.maxTokens,
        detail: `more than ${this.limits.maxTokens} tokens; the rest of the code was not analysed`,
      });
    }
    const tokens = result.tokens;
    let start = 0;
    let depth = 0;
    for (let i = 0; i <= tokens.length; i++) {
      const token = tokens[i];
      if (token?.type === 'op') {
        if (token.value in CLOSERS) depth++;
        else if (token.value === ')' || token.value === ']' || token.value === '}') depth = Math.max(0, depth - 1);
      }
      const ends = !token || token.type === 'newline' || (depth === 0 && token.type === 'op' && token.value === ';');
      if (!ends) continue;
      if (i > start) this.statement(tokens, start, i, context);
      start = i + 1;
      if (!token || token.type === 'newline') depth = 0;
    }
  }

  private statement(tokens: readonly Token[], start: number, end: number, context: Context, nested = 0): void {
    const first = tokens[start];
    if (first.type === 'name' && (first.value === 'import' || first.value === 'from')) {
      if (first.value === 'import') this.importStatement(tokens, start + 1, end);
      else this.fromStatement(tokens, start + 1, end);
      return;
    }
    if (first.type === 'name' && COMPOUND.has(first.value) && nested < 50) {
      const colon = topLevel(tokens, start, end, ':');
      if (colon >= 0) {
        // `def name(...)` and `class Name(...)`: the name is not a call; defaults and bases are code.
        let headerStart = start + 1;
        if (first.value === 'async' && tokens[start + 1]?.value === 'def') headerStart = start + 3;
        else if (first.value === 'def' || first.value === 'class') headerStart = start + 2;
        if (headerStart < colon) this.expressions(tokens, headerStart, colon, context);
        if (colon + 1 < end) this.statement(tokens, colon + 1, end, context, nested + 1);
        return;
      }
    }
    // Assignments: targets = ... = value.
    const parts = splitTop(tokens, start, end, '=', 0);
    const [valueStart, valueEnd] = parts[parts.length - 1];
    const value = this.expressions(tokens, valueStart, valueEnd, context);
    for (const [targetStart, targetEnd] of parts.slice(0, -1)) {
      const colon = topLevel(tokens, targetStart, targetEnd, ':');
      const target = this.expressions(tokens, targetStart, colon >= 0 ? colon : targetEnd, context);
      if (value && target) this.assign(target, value, context);
    }
  }

  private expressions(tokens: readonly Token[], start: number, end: number, context: Context): Expr | undefined {
    if (start >= end) return undefined;
    const parser = new ExpressionParser(tokens, start, end, this.limits.maxNesting);
    const expr = parser.tuple();
    if (parser.tooDeep) this.deep = true;
    this.visit(expr, context);
    return expr;
  }

  private importStatement(tokens: readonly Token[], start: number, end: number): void {
    for (const [from, to] of splitTop(tokens, start, end, ',')) {
      const { dotted, next } = dottedName(tokens, from, to);
      if (!dotted) continue;
      const alias = tokens[next]?.value === 'as' && next + 1 < to ? tokens[next + 1].value : undefined;
      const local = alias ?? dotted.split('.')[0];
      this.noteImport(dotted, tokens[from].line);
      this.bind(local, alias ? dotted : local);
      this.imported.add(local);
    }
  }

  private fromStatement(tokens: readonly Token[], start: number, end: number): void {
    let i = start;
    let module = '';
    while (i < end && tokens[i].type === 'op' && (tokens[i].value === '.' || tokens[i].value === '...')) {
      module += tokens[i].value;
      i++;
    }
    const { dotted, next } = dottedName(tokens, i, end);
    module += dotted;
    i = next;
    if (tokens[i]?.value !== 'import' || module === '__future__') return;
    if (!module.startsWith('.')) this.noteImport(module, tokens[start].line);
    for (const [from, to] of splitTop(tokens, i + 1, end, ',')) {
      let a = from;
      while (a < to && tokens[a].type === 'op' && tokens[a].value === '(') a++; // a parenthesised list
      const name = tokens[a];
      if (!name) continue;
      if (name.type === 'op' && name.value === '*') {
        if (this.starModules.length < 32) this.starModules.push(module);
        continue;
      }
      if (name.type !== 'name') continue;
      const alias = tokens[a + 1]?.value === 'as' && a + 2 < to ? tokens[a + 2].value : name.value;
      const full = module.endsWith('.') ? `${module}${name.value}` : `${module}.${name.value}`;
      this.bind(alias, full);
      this.imported.add(alias);
    }
  }

  private noteImport(dotted: string, line: number): void {
    const key = dotted.split('.').slice(0, 2).join('.');
    if (!this.importedModules.has(key) && this.importedModules.size < 1_000) this.importedModules.set(key, line);
  }

  private bind(local: string, target: string) {
    if (this.bindings.size < 10_000 || this.bindings.has(local)) this.bindings.set(local, target);
  }

  private assign(target: Expr, value: Expr, context: Context): void {
    if (target.t === 'name') {
      const resolved = this.resolve(value);
      if (resolved !== undefined && value.t !== 'str') this.bind(target.name, resolved);
      if (this.isModule(value)) this.imported.add(target.name);
      const literal = this.literal(value);
      if (literal !== undefined && this.constants.size < 10_000) this.constants.set(target.name, literal);
      else this.constants.delete(target.name);
      const decoder = this.decoderIn(value);
      if (decoder) this.decoded.set(target.name, decoder);
      else this.decoded.delete(target.name);
      return;
    }
    if (target.t === 'group' && value.t === 'group' && target.items.length === value.items.length) {
      target.items.forEach((item, index) => {
        this.assign(item, value.items[index], context);
      });
      return;
    }
    if (target.t === 'attr' && this.isModule(target.object)) {
      const resolved = this.resolve(target);
      if (resolved && findPythonSink(resolved)?.targets.includes(resolved))
        this.report('module-assignment', resolved, target, context);
    }
  }

  // ---- resolution ----

  /** The dotted name an expression stands for, when it can be known without running the code. */
  private resolve(expr: Expr, depth = 0): string | undefined {
    if (depth > 50) return undefined;
    switch (expr.t) {
      case 'name': {
        const bound = this.bindings.get(expr.name);
        if (bound !== undefined) return normalise(bound);
        for (const module of this.starModules) {
          if (findPythonSink(`${module}.${expr.name}`)) return `${module}.${expr.name}`;
        }
        return expr.name;
      }
      case 'attr': {
        const object = this.resolve(expr.object, depth + 1);
        return object === undefined ? undefined : normalise(`${object}.${expr.name}`);
      }
      case 'call': {
        const callee = this.resolve(expr.callee, depth + 1);
        const first = positional(expr, 0);
        if (callee === '__import__' || callee === 'importlib.__import__') {
          const name = first && this.literal(first);
          if (!name) return undefined;
          return expr.args.length > 1 ? name : name.split('.')[0];
        }
        if (callee === 'importlib.import_module') {
          const name = first && this.literal(first);
          return name || undefined;
        }
        if (callee === 'getattr') {
          const second = positional(expr, 1);
          const attribute = second && this.literal(second);
          const object = first && this.resolve(first, depth + 1);
          return object && attribute ? normalise(`${object}.${attribute}`) : undefined;
        }
        if (callee === 'globals' || callee === 'locals' || callee === 'vars') return '';
        return undefined;
      }
      case 'sub': {
        const key = expr.index && this.literal(expr.index);
        if (key === undefined) return undefined;
        const object = this.resolve(expr.object, depth + 1);
        if (object === 'sys.modules') return key;
        if (object === '') return this.resolve({ t: 'name', name: key, tok: expr.tok }, depth + 1);
        if (object !== undefined && BUILTIN_MODULES.includes(object)) return normalise(`builtins.${key}`);
        if (object?.endsWith('.__dict__')) return normalise(`${object.slice(0, -'.__dict__'.length)}.${key}`);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** The string an expression evaluates to, when it is made of literals only. */
  private literal(expr: Expr, depth = 0): string | undefined {
    if (depth > 50) return undefined;
    switch (expr.t) {
      case 'str':
        return expr.value;
      case 'name':
        return this.constants.get(expr.name);
      case 'group': {
        if (expr.items.length === 0 || expr.ops.some((op) => op !== '+' && op !== '(')) return undefined;
        if (expr.ops[0] === '(' && expr.items.length !== 1) return undefined;
        let out = '';
        for (const item of expr.items) {
          const part = this.literal(item, depth + 1);
          if (part === undefined) return undefined;
          out += part;
        }
        return out;
      }
      case 'call': {
        // "".join(["o", "s"])
        if (expr.callee.t === 'attr' && expr.callee.name === 'join' && expr.args.length === 1) {
          const separator = this.literal(expr.callee.object, depth + 1);
          const list = expr.args[0].value;
          if (separator === undefined || list.t !== 'group') return undefined;
          const parts = list.items.map((item) => this.literal(item, depth + 1));
          return parts.every((part) => part !== undefined) ? parts.join(separator) : undefined;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** An imported module (or something reached through one): its attributes are shared by the whole process. */
  private isModule(expr: Expr): boolean {
    let root: Expr = expr;
    while (root.t === 'attr') root = root.object;
    if (root.t === 'name') return this.imported.has(root.name) || BUILTIN_MODULES.includes(root.name);
    if (root.t === 'call' || root.t === 'sub') {
      const resolved = this.resolve(root);
      return resolved !== undefined && resolved !== '';
    }
    return false;
  }

  /** The first decoder call (or decoded variable) inside an expression. */
  private decoderIn(expr: Expr, depth = 0): string | undefined {
    if (depth > 100) return undefined;
    switch (expr.t) {
      case 'name':
        return this.decoded.get(expr.name);
      case 'call': {
        const callee = this.resolve(expr.callee);
        if (callee && isPythonDecoder(callee)) return callee;
        if (expr.callee.t === 'attr') {
          const inner = this.decoderIn(expr.callee.object, depth + 1);
          if (inner) return inner;
        }
        for (const arg of expr.args) {
          const inner = this.decoderIn(arg.value, depth + 1);
          if (inner) return inner;
        }
        return undefined;
      }
      case 'attr':
        return this.decoderIn(expr.object, depth + 1);
      case 'sub':
        return this.decoderIn(expr.object, depth + 1);
      case 'group':
        for (const item of expr.items) {
          const inner = this.decoderIn(item, depth + 1);
          if (inner) return inner;
        }
        return undefined;
      default:
        return undefined;
    }
  }

  // ---- sinks ----

  private visit(expr: Expr, context: Context, depth = 0): void {
    if (depth > this.limits.maxNesting * 4) return;
    switch (expr.t) {
      case 'call':
        this.call(expr, context);
        this.visit(expr.callee, context, depth + 1);
        for (const arg of expr.args) this.visit(arg.value, context, depth + 1);
        return;
      case 'attr':
        this.visit(expr.object, context, depth + 1);
        return;
      case 'sub':
        this.visit(expr.object, context, depth + 1);
        if (expr.index) this.visit(expr.index, context, depth + 1);
        return;
      case 'group':
        for (const item of expr.items) this.visit(item, context, depth + 1);
        return;
      case 'str':
        for (const field of expr.fields) this.visit(field, context, depth + 1);
        return;
      default:
        return;
    }
  }

  private call(expr: Extract<Expr, { t: 'call' }>, context: Context): void {
    const remote = keyword(expr, 'trust_remote_code');
    if (remote?.t === 'const' && remote.value === 'True') {
      this.report('trust-remote-code', this.resolve(expr.callee) ?? render(expr.callee), expr, context);
    }
    this.pathCall(expr, context);
    const target = this.resolve(expr.callee);
    if (!target) return;
    const sink = findPythonSink(target);
    if (!sink) return;
    const first = positional(expr, 0);
    if (sink.id !== 'exec') {
      if (this.applies(sink, expr)) this.report(sink.id, target, expr, context);
      return;
    }
    if (!first) return;
    const decoder = this.decoderIn(first);
    const literal = decoder ? undefined : this.literal(first);
    if (decoder) this.report('exec-decoded', target, expr, context, `runs the output of ${decoder}`);
    else if (literal !== undefined) this.execString(literal, expr, context);
    else this.report(sink.id, target, expr, context);
  }

  /** Whether the sink's condition holds for this call. */
  private applies(sink: PythonSink, expr: Extract<Expr, { t: 'call' }>): boolean {
    const first = positional(expr, 0);
    switch (sink.condition) {
      case undefined:
        return true;
      case 'non-literal':
        return first !== undefined && this.literal(first) === undefined;
      case 'unless-weights-only': {
        const value = keyword(expr, 'weights_only');
        return !(value?.t === 'const' && value.value === 'True');
      }
      case 'if-allow-pickle': {
        const value = keyword(expr, 'allow_pickle');
        return value?.t === 'const' && value.value === 'True';
      }
      case 'unless-safe-loader': {
        const loader = keyword(expr, 'Loader') ?? positional(expr, 1);
        const name = loader && this.resolve(loader);
        return !(name && SAFE_YAML_LOADERS.includes(name.split('.').pop() ?? ''));
      }
      case 'write-outside': {
        const mode = keyword(expr, 'mode') ?? positional(expr, 1);
        const modeText = mode && this.literal(mode);
        return modeText !== undefined && /[wax+]/.test(modeText) && first !== undefined && this.outside(first);
      }
      case 'path-outside':
        return expr.args.some((arg) => !arg.name && !arg.star && this.outside(arg.value));
      case 'module-target':
        return first !== undefined && this.isModule(first);
      default:
        return false;
    }
  }

  /** pathlib: `Path("/etc/x").write_text(...)`, `Path("../x").unlink()`. */
  private pathCall(expr: Extract<Expr, { t: 'call' }>, context: Context) {
    if (expr.callee.t !== 'attr' || expr.callee.object.t !== 'call') return;
    const method = expr.callee.name;
    const write = method === 'write_text' || method === 'write_bytes';
    const remove = method === 'unlink' || method === 'rmdir' || method === 'rename' || method === 'replace';
    if (!write && !remove) return;
    const made = expr.callee.object;
    const kind = this.resolve(made.callee);
    if (kind !== 'pathlib.Path' && kind !== 'pathlib.PurePath' && kind !== 'pathlib.PosixPath') return;
    const path = positional(made, 0);
    if (path && this.outside(path))
      this.report(write ? 'open-write' : 'delete-path', `${kind}.${method}`, expr, context);
  }

  /** A path that is absolute, under the home folder, or climbs out with `..`. */
  private outside(expr: Expr, depth = 0): boolean {
    if (depth > 20) return false;
    const text = expr.t === 'str' ? (expr.value ?? expr.head) : this.literal(expr);
    if (text !== undefined) return isOutsidePath(text);
    if (expr.t === 'call') {
      const callee = this.resolve(expr.callee);
      if (
        callee === 'os.path.join' ||
        callee === 'os.path.expanduser' ||
        callee === 'os.path.abspath' ||
        callee?.startsWith('pathlib.')
      ) {
        const first = positional(expr, 0);
        return first !== undefined && this.outside(first, depth + 1);
      }
    }
    if (expr.t === 'group' && expr.ops.every((op) => op === '+')) {
      return expr.items.length > 0 && this.outside(expr.items[0], depth + 1);
    }
    return false;
  }

  /** exec("...") with a literal: the string is code, analysed with the same names in scope. */
  private execString(code: string, expr: Extract<Expr, { t: 'call' }>, context: Context) {
    if (context.execDepth >= this.limits.maxExecDepth) {
      this.report('exec', this.resolve(expr.callee) ?? 'exec', expr, context, 'exec strings nested too deeply');
      return;
    }
    const line = context.line ?? expr.tok.line;
    this.code(code, {
      execDepth: context.execDepth + 1,
      line,
      detail: context.detail ?? `inside the code string run by ${render(expr.callee)} at line ${line}`,
    });
  }

  private report(sinkId: string, target: string, expr: Expr, context: Context, detail?: string): void {
    const sink = pythonSinkById(sinkId);
    if (!sink) return;
    if (this.factCount >= this.limits.maxFacts) {
      if (!this.limited) {
        this.limited = true;
        this.facts.push({
          kind: 'limit-reached',
          limit: 'python-findings',
          value: this.limits.maxFacts,
          detail: `more than ${this.limits.maxFacts} dangerous calls; the rest were not listed`,
        });
      }
      return;
    }
    this.factCount++;
    const tok = 'tok' in expr && expr.tok ? expr.tok : undefined;
    const line = context.line ?? tok?.line ?? 1;
    const column = context.line === undefined ? (tok?.column ?? 1) : 1;
    const callee = expr.t === 'call' ? expr.callee : expr;
    const spelled = render(callee);
    const first = expr.t === 'call' ? positional(expr, 0) : undefined;
    const argument = first && this.literal(first);
    const details = [detail, context.detail].filter((part): part is string => part !== undefined);
    this.facts.push({
      kind: 'python-sink',
      sink: sink.id,
      category: sink.category,
      target,
      line,
      column,
      excerpt: clip(redactSecrets(this.lines.line(line).trim()), 200),
      ...(spelled !== target ? { via: clip(redactSecrets(spelled), 200) } : {}),
      ...(argument !== undefined ? { argument: clip(redactSecrets(argument), 120) } : {}),
      ...(details.length > 0 ? { detail: details.join('; ') } : {}),
    });
  }
}

// ---- helpers ------------------------------------------------------------------------------------------------

function normalise(name: string): string {
  for (const module of BUILTIN_MODULES) if (name.startsWith(`${module}.`)) return name.slice(module.length + 1);
  return name;
}

function positional(expr: Extract<Expr, { t: 'call' }>, index: number): Expr | undefined {
  return expr.args.filter((arg) => !arg.name && !arg.star)[index]?.value;
}

function keyword(expr: Extract<Expr, { t: 'call' }>, name: string): Expr | undefined {
  return expr.args.find((arg) => arg.name === name)?.value;
}

export function isOutsidePath(path: string): boolean {
  return (
    path.startsWith('/') ||
    path.startsWith('\\') ||
    path.startsWith('~') ||
    /^[a-zA-Z]:[\\/]/.test(path) ||
    path.split(/[\\/]/).includes('..')
  );
}

/** A short rendering of an expression, as the code spelled it. */
function render(expr: Expr, depth = 0): string {
  if (depth > 8) return '…';
  switch (expr.t) {
    case 'name':
      return expr.name;
    case 'const':
      return expr.value;
    case 'str':
      return expr.value === undefined ? 'f"…"' : JSON.stringify(clip(expr.value, 40));
    case 'attr':
      return `${render(expr.object, depth + 1)}.${expr.name}`;
    case 'call':
      return `${render(expr.callee, depth + 1)}(${expr.args
        .slice(0, 3)
        .map((arg) => render(arg.value, depth + 1))
        .join(', ')}${expr.args.length > 3 ? ', …' : ''})`;
    case 'sub':
      return `${render(expr.object, depth + 1)}[${expr.index ? render(expr.index, depth + 1) : '…'}]`;
    case 'group':
      return expr.items.length === 1 && expr.ops.every((op) => op === '(') ? render(expr.items[0], depth + 1) : '(…)';
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Index of the first `value` operator outside brackets in [start, end), or -1. */
function topLevel(tokens: readonly Token[], start: number, end: number, value: string): number {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const token = tokens[i];
    if (token.type !== 'op') continue;
    if (token.value in CLOSERS) depth++;
    else if (token.value === ')' || token.value === ']' || token.value === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0 && token.value === value) return i;
  }
  return -1;
}

/** Splits [start, end) at `value` operators nested at most `maxDepth` brackets deep (1: inside a call's parentheses). */
function splitTop(
  tokens: readonly Token[],
  start: number,
  end: number,
  value: string,
  maxDepth = 1,
): [number, number][] {
  const parts: [number, number][] = [];
  let from = start;
  let depth = 0;
  for (let i = start; i < end; i++) {
    const token = tokens[i];
    if (token.type !== 'op') continue;
    if (token.value in CLOSERS) depth++;
    else if (token.value === ')' || token.value === ']' || token.value === '}') depth = Math.max(0, depth - 1);
    else if (token.value === value && depth <= maxDepth) {
      parts.push([from, i]);
      from = i + 1;
    }
  }
  parts.push([from, end]);
  return parts;
}

function dottedName(tokens: readonly Token[], start: number, end: number): { dotted: string; next: number } {
  let i = start;
  const parts: string[] = [];
  while (i < end && tokens[i].type === 'name' && tokens[i].value !== 'import' && tokens[i].value !== 'as') {
    parts.push(tokens[i].value);
    i++;
    if (i < end && tokens[i].type === 'op' && tokens[i].value === '.') i++;
    else break;
  }
  return { dotted: parts.join('.'), next: i };
}

// ---- inspectors ---------------------------------------------------------------------------------------------

const PYTHON_EXTENSIONS = /\.(py|pyw|pyi)$/i;
const SHEBANG = /^#![^\n]*\bpython[\d.]*\b/;
const CONFIG_NAMES = new Set([
  'config.json',
  'tokenizer_config.json',
  'processor_config.json',
  'preprocessor_config.json',
]);

function baseName(name: string): string {
  return name.split(/[\\/]/).pop() ?? name;
}

/** `.py` files, and files without an extension that start with a python shebang. */
export const pythonSourceInspector: TextInspector = {
  accepts: ({ name, format }) => format === 'text' && (PYTHON_EXTENSIONS.test(name) || !baseName(name).includes('.')),
  inspect({ text, name, facts }: TextInput) {
    if (!PYTHON_EXTENSIONS.test(name) && !SHEBANG.test(text)) return;
    new PythonAnalyser(text, facts).run();
  },
};

/** `auto_map` and `custom_pipelines` of config.json / tokenizer_config.json: the code `trust_remote_code` imports. */
export const autoMapInspector: TextInspector = {
  accepts: ({ name, format }) => format === 'json' && CONFIG_NAMES.has(baseName(name)),
  inspect({ text, facts }: TextInput) {
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch {
      return; // the config inspector reports malformed JSON
    }
    const entries = autoMapEntries(config);
    if (entries.length > 0) facts.push({ kind: 'python-auto-map', entries });
  },
};

const MAX_AUTO_MAP_ENTRIES = 200;

export function autoMapEntries(config: unknown): AutoMapEntry[] {
  if (!isRecord(config)) return [];
  const entries: AutoMapEntry[] = [];
  const add = (key: string, reference: unknown) => {
    if (typeof reference !== 'string' || entries.length >= MAX_AUTO_MAP_ENTRIES) return;
    const entry = parseReference(key, reference);
    if (entry) entries.push(entry);
  };
  if (isRecord(config.auto_map)) {
    for (const [key, value] of Object.entries(config.auto_map)) {
      if (Array.isArray(value)) for (const item of value.slice(0, 8)) add(key, item);
      else add(key, value);
    }
  }
  if (isRecord(config.custom_pipelines)) {
    for (const [task, pipeline] of Object.entries(config.custom_pipelines)) {
      if (isRecord(pipeline)) add(`pipeline:${task}`, pipeline.impl);
    }
  }
  return entries;
}

/** `module.Class`, `org/repo--module.Class`; the module maps to `module.py` next to the config. */
function parseReference(key: string, reference: string): AutoMapEntry | undefined {
  const text = reference.slice(0, 500);
  const split = text.indexOf('--');
  const repo = split >= 0 ? text.slice(0, split) : undefined;
  const local = split >= 0 ? text.slice(split + 2) : text;
  const dot = local.lastIndexOf('.');
  if (dot <= 0 || dot === local.length - 1) return undefined;
  const module = local.slice(0, dot);
  const className = local.slice(dot + 1);
  const file = posix.normalize(`${module.split('.').join('/')}.py`);
  return { key: key.slice(0, 200), reference: text, ...(repo ? { repo } : {}), module, className, file };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the registry consults: Python sources, and the configs that name code to import. */
export const pythonCodeInspector: TextInspector = {
  accepts: (input) => pythonSourceInspector.accepts(input) || autoMapInspector.accepts(input),
  async inspect(input) {
    if (pythonSourceInspector.accepts(input)) await pythonSourceInspector.inspect(input);
    if (autoMapInspector.accepts(input)) await autoMapInspector.inspect(input);
  },
};
