/**
 * Chat templates (Jinja): parsed into an AST with @huggingface/jinja and walked, never rendered. The walker reports
 * what a template reaches (every distinct access path, with names built by string tricks folded to constants);
 * rules decide which paths are dangerous.
 */
import { createHash } from 'node:crypto';
import { parse, tokenize } from '@huggingface/jinja';
import { parse as parseYaml } from 'yaml';
import type { Fact } from './facts.js';
import type { TextInspector } from './plugins.js';

/** One step of an access path: `.name`, `[key]`, `(...)` or `|filter`. */
export interface TemplateStep {
  op: 'attribute' | 'item' | 'call' | 'filter';
  /** The attribute, key or filter name when it is known without rendering; absent when computed at render time. */
  name?: string;
  /** An integer index (`[1]`). */
  index?: number;
  /** How an attribute name was given when not as `.name`: `|attr(...)`, `getattr(...)`, a filter's `attribute=`, a method argument. */
  via?: 'attr-filter' | 'getattr' | 'filter-attribute' | 'method-argument' | 'slice';
  /** How a constant name was put together (concat, join, format, reverse, escape, chr, variable, ...); absent for a plain literal. */
  built?: string[];
}

export type ChatTemplateFact =
  /** A chat template was found: its identity. */
  | {
      kind: 'chat-template';
      /** Where it sits: `chat_template`, `chat_template[tool_use]`, `tokenizer.chat_template`, or the file name. */
      template: string;
      sha256: string;
      /** Length in UTF-16 code units (JavaScript string length). */
      length: number;
      lines: number;
      /** Byte offset of the template inside the file, when known (GGUF). */
      offset?: number;
      /** The template is the whole file (a `.jinja` file): its lines are the file's lines. */
      wholeFile: boolean;
    }
  /** A distinct access path in a template (root identifier or literal, then steps). */
  | {
      kind: 'chat-template-access';
      template: string;
      /** An identifier (`cycler`, `messages`) or a literal's shape (`''`, `[]`, `()`, `{}`, `0`, `(expression)`). */
      root: string;
      /** The root identifier is assigned in the template itself (set, for, macro), so it is not a global. */
      local: boolean;
      steps: TemplateStep[];
      /** The path rendered as text, aliases expanded (`cycler.__init__.__globals__.os.popen(…)`). */
      path: string;
      /** Template variables the path went through (`x` in `{% set x = cycler.__init__ %}{{ x.__globals__ }}`). */
      aliases?: string[];
      /** Position of the expression in the template, 1-based (found by searching the source; the AST has none). */
      line?: number;
      column?: number;
      offset?: number;
    }
  /** @huggingface/jinja could not parse the template: nothing about it is known. */
  | { kind: 'chat-template-unparsable'; template: string; detail: string; offset?: number };

type AccessFact = Extract<ChatTemplateFact, { kind: 'chat-template-access' }>;

/** Limits; each one reached is reported as a fact. */
export const CHAT_TEMPLATE_LIMITS = {
  /** Longer templates are not parsed (the largest real chat templates are about 60 KB). */
  maxChars: 1 << 20,
  /** Templates taken from one file. */
  maxTemplates: 64,
  /** Distinct access paths recorded per template. */
  maxAccesses: 4096,
  /** AST nesting the walker follows. */
  maxDepth: 256,
  /** Longest constant string the folder builds. */
  maxFolded: 4096,
  /** Steps kept on one path (aliases can stack up). */
  maxSteps: 64,
  /** JSON/YAML nodes visited when looking for chat_template keys. */
  maxNodes: 200_000,
} as const;

// ---- the inspector -------------------------------------------------------------------------------------------

const TEMPLATE_FILE = /\.(jinja2?|j2)$/i;
const MAYBE_TEMPLATE_FILE = /\.template$/i;
const DATA_FILE = /\.(json|ya?ml)$/i;
const TEMPLATE_KEY = /chat_template/i;

export const chatTemplateInspector: TextInspector = {
  accepts: ({ name, format }) =>
    (format === 'json' || format === 'text') &&
    (TEMPLATE_FILE.test(name) || MAYBE_TEMPLATE_FILE.test(name) || DATA_FILE.test(name)),
  inspect({ name, text, facts }) {
    const base = name.split('/').pop() ?? name;
    if (TEMPLATE_FILE.test(name) || (MAYBE_TEMPLATE_FILE.test(name) && /\{[{%]/.test(text))) {
      inspectChatTemplate(text, base, facts, { wholeFile: true });
      return;
    }
    if (!TEMPLATE_KEY.test(text)) return;
    const data = parseData(text, /\.ya?ml$/i.test(name));
    if (data === undefined) return;
    const found = findTemplates(data);
    for (const { label, template } of found.templates) inspectChatTemplate(template, label, facts);
    if (found.truncated) {
      facts.push({
        kind: 'limit-reached',
        limit: 'chat-templates',
        value: found.templates.length,
        detail: `more chat templates (or JSON nodes) than the limit; only the first ${found.templates.length} were analysed`,
      });
    }
  },
};

function parseData(text: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch {
    try {
      return yaml ? undefined : parseYaml(text, { maxAliasCount: 100 });
    } catch {
      return undefined;
    }
  }
}

/** Every string under a key containing `chat_template`, and the `{name, template}` list form. */
function findTemplates(root: unknown): { templates: { label: string; template: string }[]; truncated: boolean } {
  const templates: { label: string; template: string }[] = [];
  let nodes = 0;
  let truncated = false;
  const visit = (value: unknown, path: string, depth: number): void => {
    if (truncated || depth > 16 || value === null || typeof value !== 'object') return;
    if (++nodes > CHAT_TEMPLATE_LIMITS.maxNodes) {
      truncated = true;
      return;
    }
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [String(index), item])
      : Object.entries(value as Record<string, unknown>);
    for (const [key, item] of entries) {
      const label = path === '' ? key : Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
      if (!Array.isArray(value) && TEMPLATE_KEY.test(key)) {
        if (typeof item === 'string') add(label, item);
        else if (item && typeof item === 'object' && !Array.isArray(item)) {
          // {"default": "...", "tool_use": "..."}: named templates as an object
          for (const [name, template] of Object.entries(item))
            if (typeof template === 'string') add(`${label}[${name}]`, template);
        } else if (Array.isArray(item)) {
          item.forEach((entry, index) => {
            const named = entry as { name?: unknown; template?: unknown } | null;
            if (named && typeof named === 'object' && typeof named.template === 'string') {
              add(`${label}[${typeof named.name === 'string' ? named.name : index}]`, named.template);
            }
          });
        }
      }
      visit(item, label, depth + 1);
    }
  };
  const add = (label: string, template: string) => {
    if (templates.length >= CHAT_TEMPLATE_LIMITS.maxTemplates) truncated = true;
    else templates.push({ label, template });
  };
  visit(root, '', 0);
  return { templates, truncated };
}

// ---- one template --------------------------------------------------------------------------------------------

export interface TemplatePlacement {
  /** Byte offset of the template inside the file (GGUF string values). */
  offset?: number;
  /** The template is the whole file. */
  wholeFile?: boolean;
}

/** Parses one template and appends its facts (identity, access paths, or why it could not be parsed). */
export function inspectChatTemplate(
  source: string,
  label: string,
  facts: Fact[],
  placement: TemplatePlacement = {},
): void {
  const { offset } = placement;
  facts.push({
    kind: 'chat-template',
    template: label,
    sha256: createHash('sha256').update(source).digest('hex'),
    length: source.length,
    lines: source === '' ? 0 : source.split('\n').length,
    offset,
    wholeFile: placement.wholeFile ?? false,
  });
  if (source.length > CHAT_TEMPLATE_LIMITS.maxChars) {
    facts.push({
      kind: 'not-analysed',
      offset,
      detail: `chat template ${label} is ${source.length} characters long; templates above ${CHAT_TEMPLATE_LIMITS.maxChars} are not parsed`,
    });
    return;
  }
  let program: JNode;
  try {
    program = parse(emptyTuplesAsLists(tokenize(source) as Tokens) as Parameters<typeof parse>[0]) as unknown as JNode;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    facts.push({ kind: 'chat-template-unparsable', template: label, detail, offset });
    facts.push({
      kind: 'not-analysed',
      offset,
      detail: `chat template ${label} could not be parsed (${detail}); a Jinja engine may still render it`,
    });
    return;
  }
  const walker = new TemplateWalker(source, label, offset);
  walker.statements(program.body as JNode[], 0);
  facts.push(...walker.accesses);
  if (walker.limit) {
    facts.push({
      kind: 'limit-reached',
      limit: walker.limit.name,
      value: walker.limit.value,
      offset,
      detail: walker.limit.detail,
    });
  }
}

/** A lexer token (the package's own types do not resolve under NodeNext). */
interface LexToken {
  value: string;
  type: string;
}
type Tokens = LexToken[];
/** Words after which `()` starts an expression rather than calling something. */
const OPERATOR_WORDS = new Set(['in', 'and', 'or', 'not', 'if', 'else', 'is']);

/**
 * jinja2 reads `()` as an empty tuple (`().__class__` is a classic gadget); @huggingface/jinja rejects it. Where `()`
 * does not follow something callable it is handed to the parser as `[]`, which reaches the same class chain.
 */
function emptyTuplesAsLists(tokens: Tokens): Tokens {
  return tokens.map((token, index) => {
    const open = token.type === 'OpenParen' && tokens[index + 1]?.type === 'CloseParen';
    const close = token.type === 'CloseParen' && tokens[index - 1]?.type === 'OpenParen';
    if (!open && !close) return token;
    const before = tokens[open ? index - 1 : index - 2];
    const call =
      before !== undefined &&
      (before.type === 'CloseParen' ||
        before.type === 'CloseSquareBracket' ||
        before.type === 'StringLiteral' ||
        (before.type === 'Identifier' && !OPERATOR_WORDS.has(before.value)));
    if (call) return token;
    return { value: open ? '[' : ']', type: open ? 'OpenSquareBracket' : 'CloseSquareBracket' } as LexToken;
  });
}

// ---- AST walk ------------------------------------------------------------------------------------------------

/** The AST classes of @huggingface/jinja, seen structurally (the package does not export their types). */
interface JNode {
  type: string;
  [field: string]: unknown;
}

type Const = string | number | Const[];
interface Folded {
  value: Const;
  built: string[];
}

interface Chain {
  root: string;
  steps: TemplateStep[];
  aliases: string[];
  local: boolean;
  /** Sub-expressions the chain does not cover (call arguments, computed keys), walked on their own. */
  sides: JNode[];
}

/** Filters whose first positional argument (or `attribute=`) names an attribute they read on each item. */
const ATTRIBUTE_FILTERS = new Set(['selectattr', 'rejectattr', 'groupby']);
/** Methods whose first argument is a key or attribute name on the object (`d.get('os')`). */
const KEY_METHODS = new Set(['get', 'pop', 'setdefault', '__getitem__', '__getattribute__', '__getattr__', 'getattr']);

class TemplateWalker {
  readonly accesses: AccessFact[] = [];
  limit?: { name: string; value: number; detail: string };
  private readonly seen = new Set<string>();
  private readonly aliases = new Map<string, Chain>();
  private readonly constants = new Map<string, Folded>();
  private readonly locals = new Set<string>();
  private readonly lineStarts: number[] = [0];
  private cursor = 0;

  constructor(
    private readonly source: string,
    private readonly label: string,
    private readonly offset: number | undefined,
  ) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  statements(nodes: readonly JNode[] | undefined, depth: number): void {
    for (const node of nodes ?? []) this.statement(node, depth);
  }

  private tooDeep(depth: number): boolean {
    if (depth <= CHAT_TEMPLATE_LIMITS.maxDepth) return false;
    this.limit ??= {
      name: 'chat-template-depth',
      value: depth,
      detail: `chat template ${this.label} nests deeper than ${CHAT_TEMPLATE_LIMITS.maxDepth} levels; deeper parts were not analysed`,
    };
    return true;
  }

  private statement(node: JNode, depth: number): void {
    if (this.tooDeep(depth)) return;
    const next = depth + 1;
    switch (node.type) {
      case 'Program':
        this.statements(node.body as JNode[], next);
        return;
      case 'If':
        this.expression(node.test as JNode, next);
        this.statements(node.body as JNode[], next);
        this.statements(node.alternate as JNode[], next);
        return;
      case 'For': {
        const iterable = node.iterable as JNode;
        const source = iterable.type === 'SelectExpression' ? (iterable.lhs as JNode) : iterable;
        this.expression(iterable, next);
        const element = this.chainable(source) ? this.chain(source, next) : undefined;
        for (const variable of loopVariables(node.loopvar as JNode)) {
          this.locals.add(variable);
          this.constants.delete(variable);
          if (element) this.aliases.set(variable, { ...element, steps: [...element.steps, { op: 'item' }], sides: [] });
          else this.aliases.delete(variable);
        }
        this.statements(node.body as JNode[], next);
        this.statements(node.defaultBlock as JNode[], next);
        return;
      }
      case 'Set': {
        const assignee = node.assignee as JNode;
        const value = node.value as JNode | null;
        if (assignee.type === 'MemberExpression') this.expression(assignee, next); // written first
        if (value) this.expression(value, next);
        this.statements(node.body as JNode[], next);
        if (assignee.type === 'Identifier') {
          const name = assignee.value as string;
          this.locals.add(name);
          const folded = value ? this.fold(value, next) : undefined;
          if (folded) this.constants.set(name, folded);
          else this.constants.delete(name);
          if (value && this.chainable(value)) this.aliases.set(name, { ...this.chain(value, next), sides: [] });
          else this.aliases.delete(name);
        } else if (assignee.type === 'MemberExpression') {
          const key = staticName(assignee);
          if (key) {
            const folded = value ? this.fold(value, next) : undefined;
            if (folded) this.constants.set(key, folded);
            else this.constants.delete(key);
          }
        } else {
          for (const variable of loopVariables(assignee)) {
            this.locals.add(variable);
            this.constants.delete(variable);
            this.aliases.delete(variable);
          }
        }
        return;
      }
      case 'Macro': {
        this.locals.add((node.name as JNode).value as string);
        for (const argument of (node.args as JNode[]) ?? []) {
          if (argument.type === 'KeywordArgumentExpression') {
            this.expression(argument.value as JNode, next);
            this.locals.add((argument.key as JNode).value as string);
          } else if (argument.type === 'Identifier') this.locals.add(argument.value as string);
        }
        this.statements(node.body as JNode[], next);
        return;
      }
      case 'CallStatement':
        this.expression(node.call as JNode, next);
        for (const argument of (node.callerArgs as JNode[] | null) ?? []) this.expression(argument, next);
        this.statements(node.body as JNode[], next);
        return;
      case 'FilterStatement': {
        const block: JNode = {
          type: 'FilterExpression',
          operand: { type: 'Identifier', value: 'caller' },
          filter: node.filter,
        };
        this.locals.add('caller');
        this.expression(block, next);
        this.statements(node.body as JNode[], next);
        return;
      }
      case 'Comment':
      case 'Break':
      case 'Continue':
        return;
      default:
        this.expression(node, next);
    }
  }

  private chainable(node: JNode): boolean {
    return (
      node.type === 'Identifier' ||
      node.type === 'MemberExpression' ||
      node.type === 'CallExpression' ||
      node.type === 'FilterExpression'
    );
  }

  private expression(node: JNode | null | undefined, depth: number): void {
    if (!node || this.tooDeep(depth)) return;
    const next = depth + 1;
    if (this.chainable(node)) {
      const chain = this.chain(node, next);
      this.record(chain);
      for (const side of chain.sides) this.expression(side, next);
      return;
    }
    for (const child of children(node)) this.expression(child, next);
  }

  /** Linearises `a.b[c](d)|e` into a root and steps; what it cannot linearise becomes a side expression. */
  private chain(node: JNode, depth: number): Chain {
    if (this.tooDeep(depth)) return { root: '(expression)', steps: [], aliases: [], local: false, sides: [] };
    const next = depth + 1;
    switch (node.type) {
      case 'Identifier': {
        const name = node.value as string;
        const alias = this.aliases.get(name);
        if (alias) return { ...alias, aliases: [...alias.aliases, name], steps: [...alias.steps], sides: [] };
        return { root: name, steps: [], aliases: [], local: this.locals.has(name), sides: [] };
      }
      case 'MemberExpression': {
        const chain = this.chain(node.object as JNode, next);
        this.applyMember(chain, node, next);
        return chain;
      }
      case 'CallExpression': {
        const callee = node.callee as JNode;
        const args = (node.args as JNode[]) ?? [];
        if (
          callee.type === 'Identifier' &&
          callee.value === 'getattr' &&
          !this.aliases.has('getattr') &&
          args.length >= 2
        ) {
          const chain = this.chain(args[0], next);
          this.push(chain, { ...this.keyStep('attribute', args[1], next), via: 'getattr' });
          chain.sides.push(...args.slice(1));
          return chain;
        }
        const chain = this.chain(callee, next);
        this.applyCall(chain, node, next);
        return chain;
      }
      case 'FilterExpression': {
        const chain = this.chain(node.operand as JNode, next);
        const filter = unwrapFilter(node.filter as JNode);
        if (!filter) {
          this.push(chain, { op: 'filter' });
          chain.sides.push(node.filter as JNode);
          return chain;
        }
        this.applyFilter(chain, filter.name, filter.args, next);
        for (const outer of filter.tail) {
          if (outer.type === 'CallExpression') this.applyCall(chain, outer, next);
          else this.applyMember(chain, outer, next);
        }
        return chain;
      }
      default:
        return { root: rootShape(node), steps: [], aliases: [], local: false, sides: hasChildren(node) ? [node] : [] };
    }
  }

  /** `.name`, `[key]` or `[a:b]` applied to a chain. */
  private applyMember(chain: Chain, node: JNode, depth: number): void {
    const property = node.property as JNode;
    if (!node.computed) {
      const name = property.type === 'Identifier' ? (property.value as string) : undefined;
      const index = property.type === 'IntegerLiteral' ? (property.value as number) : undefined;
      this.push(chain, name !== undefined ? { op: 'attribute', name } : { op: 'item', index });
    } else if (property.type === 'SliceExpression') {
      this.push(chain, { op: 'item', via: 'slice' });
      chain.sides.push(property);
    } else {
      this.push(chain, this.keyStep('item', property, depth));
      if (property.type !== 'StringLiteral' && property.type !== 'IntegerLiteral') chain.sides.push(property);
    }
  }

  /** `(...)` applied to a chain; `d.get('os')`-style calls add the key they read. */
  private applyCall(chain: Chain, node: JNode, depth: number): void {
    const args = (node.args as JNode[]) ?? [];
    const method = chain.steps.at(-1);
    this.push(chain, { op: 'call' });
    if (method?.op === 'attribute' && method.name && KEY_METHODS.has(method.name) && args[0]) {
      const key = this.keyStep(method.name.includes('attr') ? 'attribute' : 'item', args[0], depth);
      if (key.name !== undefined) this.push(chain, { ...key, via: 'method-argument' });
    }
    chain.sides.push(...args);
  }

  /** `|name(args)`: `|attr(x)` and filters that read attributes by name become attribute steps. */
  private applyFilter(chain: Chain, name: string, args: readonly JNode[], depth: number): void {
    const positional = args.filter((arg) => arg.type !== 'KeywordArgumentExpression');
    const keyword = (key: string) =>
      args.find((arg) => arg.type === 'KeywordArgumentExpression' && (arg.key as JNode).value === key)?.value as
        | JNode
        | undefined;
    if (name === 'attr') {
      this.push(chain, { ...this.keyStep('attribute', positional[0], depth), via: 'attr-filter' });
    } else if (name === 'map' && positional[0] && this.fold(positional[0], depth)?.value === 'attr') {
      this.push(chain, { op: 'filter', name });
      this.push(chain, { ...this.keyStep('attribute', positional[1], depth), via: 'attr-filter' });
    } else {
      this.push(chain, { op: 'filter', name });
      const attribute = keyword('attribute') ?? (ATTRIBUTE_FILTERS.has(name) ? positional[0] : undefined);
      if (attribute) {
        const step = this.keyStep('attribute', attribute, depth);
        for (const part of step.name?.split('.') ?? [undefined]) {
          this.push(chain, { ...step, name: part, via: 'filter-attribute' });
        }
      }
    }
    chain.sides.push(...args);
  }

  private push(chain: Chain, step: TemplateStep): void {
    if (chain.steps.length < CHAT_TEMPLATE_LIMITS.maxSteps) chain.steps.push(step);
  }

  /** A step whose name comes from an expression: constant-folded when possible, marked dynamic otherwise. */
  private keyStep(op: 'attribute' | 'item', key: JNode | undefined, depth: number): TemplateStep {
    const folded = key ? this.fold(key, depth) : undefined;
    if (folded === undefined) return { op };
    if (typeof folded.value === 'number') return { op, index: folded.value };
    if (typeof folded.value !== 'string') return { op };
    const built = [...folded.built];
    if (built.length === 0 && folded.value !== '' && !this.source.includes(folded.value)) {
      // A plain literal whose text is nowhere in the source: written with escapes or as adjacent literals.
      built.push(/\\[xuU0-7]/.test(this.source) ? 'escape' : 'adjacent-literals');
    }
    return built.length > 0 ? { op, name: folded.value, built } : { op, name: folded.value };
  }

  private record(chain: Chain): void {
    const path = renderPath(chain.root, chain.steps);
    if (this.seen.has(path)) return;
    if (this.accesses.length >= CHAT_TEMPLATE_LIMITS.maxAccesses) {
      this.limit ??= {
        name: 'chat-template-accesses',
        value: this.accesses.length,
        detail: `chat template ${this.label} has more than ${CHAT_TEMPLATE_LIMITS.maxAccesses} distinct access paths; the rest were not analysed`,
      };
      return;
    }
    this.seen.add(path);
    // The variable the expression starts from (the last alias), else its root, else its first written name.
    const needle =
      chain.aliases.at(-1) ??
      (/^[A-Za-z_]\w*$/.test(chain.root)
        ? chain.root
        : chain.steps.find((step) => step.name && this.source.includes(step.name))?.name);
    const position = needle ? this.locate(needle) : undefined;
    const fact: AccessFact = {
      kind: 'chat-template-access',
      template: this.label,
      root: chain.root,
      local: chain.local,
      steps: chain.steps,
      path,
      line: position?.line,
      column: position?.column,
      offset: this.offset,
    };
    if (chain.aliases.length > 0) fact.aliases = chain.aliases;
    this.accesses.push(fact);
  }

  /** Where a name occurs, searching forward from the last place found (the walk follows source order). */
  private locate(needle: string): { line: number; column: number } | undefined {
    const pattern = new RegExp(`(?<![\\w])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'g');
    pattern.lastIndex = this.cursor;
    let match = pattern.exec(this.source);
    if (!match) {
      pattern.lastIndex = 0;
      match = pattern.exec(this.source);
    }
    if (!match) return undefined;
    this.cursor = match.index + 1;
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= match.index) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: match.index - this.lineStarts[low] + 1 };
  }

  // ---- constant folding: the strings a template builds without rendering -----------------------------------

  fold(node: JNode, depth: number): Folded | undefined {
    if (depth > CHAT_TEMPLATE_LIMITS.maxDepth) return undefined;
    const next = depth + 1;
    const result = this.foldNode(node, next);
    if (result && typeof result.value === 'string' && result.value.length > CHAT_TEMPLATE_LIMITS.maxFolded) {
      return undefined;
    }
    return result;
  }

  private foldNode(node: JNode, depth: number): Folded | undefined {
    switch (node.type) {
      case 'StringLiteral':
        return { value: node.value as string, built: [] };
      case 'IntegerLiteral':
      case 'FloatLiteral':
        return { value: node.value as number, built: [] };
      case 'ArrayLiteral':
      case 'TupleLiteral': {
        const items = (node.value as JNode[]).slice(0, 256).map((item) => this.fold(item, depth));
        if (items.some((item) => item === undefined)) return undefined;
        return { value: items.map((item) => item!.value), built: merge(...items.map((item) => item!.built)) };
      }
      case 'Identifier': {
        const constant = this.constants.get(node.value as string);
        return constant && { value: constant.value, built: merge(constant.built, ['variable']) };
      }
      case 'MemberExpression': {
        const key = node.computed ? undefined : staticName(node);
        if (key) {
          const constant = this.constants.get(key);
          return constant && { value: constant.value, built: merge(constant.built, ['variable']) };
        }
        const object = this.fold(node.object as JNode, depth);
        if (!object) return undefined;
        const property = node.property as JNode;
        if (property.type === 'SliceExpression') {
          const bound = (part: unknown) => (part ? this.fold(part as JNode, depth) : undefined);
          const [start, stop, step] = [bound(property.start), bound(property.stop), bound(property.step)];
          const number = (part: Folded | undefined) => (typeof part?.value === 'number' ? part.value : undefined);
          if ([start, stop, step].some((part) => part !== undefined && typeof part.value !== 'number'))
            return undefined;
          const sliced = slice(object.value, number(start), number(stop), number(step));
          return sliced === undefined ? undefined : { value: sliced, built: merge(object.built, ['slice']) };
        }
        const index = this.fold(property, depth);
        if (typeof index?.value !== 'number' || typeof object.value === 'number') return undefined;
        const at = index.value < 0 ? object.value.length + index.value : index.value;
        const item = object.value[at];
        return item === undefined ? undefined : { value: item, built: merge(object.built, ['index']) };
      }
      case 'BinaryExpression': {
        const operator = (node.operator as { value: string }).value;
        const left = this.fold(node.left as JNode, depth);
        const right = left && this.fold(node.right as JNode, depth);
        if (!left || !right) return undefined;
        const built = (how: string) => merge(left.built, right.built, [how]);
        const [a, b] = [left.value, right.value];
        if (operator === '~' && !Array.isArray(a) && !Array.isArray(b))
          return { value: `${a}${b}`, built: built('concat') };
        if (operator === '+') {
          if (typeof a === 'string' && typeof b === 'string') return { value: a + b, built: built('concat') };
          if (typeof a === 'number' && typeof b === 'number') return { value: a + b, built: built('arithmetic') };
          if (Array.isArray(a) && Array.isArray(b)) return { value: [...a, ...b], built: built('concat') };
        }
        if (operator === '-' && typeof a === 'number' && typeof b === 'number')
          return { value: a - b, built: built('arithmetic') };
        if (operator === '*') {
          const [text, count] = typeof a === 'string' ? [a, b] : [b, a];
          if (
            typeof text === 'string' &&
            typeof count === 'number' &&
            text.length * count <= CHAT_TEMPLATE_LIMITS.maxFolded
          ) {
            return { value: text.repeat(Math.max(0, Math.trunc(count))), built: built('repeat') };
          }
          if (typeof a === 'number' && typeof b === 'number') return { value: a * b, built: built('arithmetic') };
        }
        if (operator === '%' && typeof a === 'string') {
          const formatted = printf(a, Array.isArray(b) ? b : [b]);
          return formatted === undefined ? undefined : { value: formatted, built: built('format') };
        }
        return undefined;
      }
      case 'FilterExpression': {
        const operand = this.fold(node.operand as JNode, depth);
        if (!operand) return undefined;
        const filter = unwrapFilter(node.filter as JNode);
        if (!filter || filter.tail.length > 0) return undefined;
        const args = this.foldArgs(filter.args, depth);
        if (!args) return undefined;
        const name = filter.name;
        const value = applyFunction(name, operand.value, args.values, true);
        return value === undefined ? undefined : { value, built: merge(operand.built, args.built, [name]) };
      }
      case 'CallExpression': {
        const callee = node.callee as JNode;
        const rawArgs = (node.args as JNode[]) ?? [];
        if (callee.type === 'Identifier' && callee.value === 'dict') {
          const keys = rawArgs.map((arg) =>
            arg.type === 'KeywordArgumentExpression' ? ((arg.key as JNode).value as string) : undefined,
          );
          return keys.every((key) => key !== undefined) ? { value: keys as string[], built: ['dict-keys'] } : undefined;
        }
        const args = this.foldArgs(rawArgs, depth);
        if (!args) return undefined;
        if (callee.type === 'Identifier' && callee.value === 'chr') {
          const code = args.values[0];
          return typeof code === 'number' && code >= 0 && code <= 0x10ffff
            ? { value: String.fromCodePoint(code), built: merge(args.built, ['chr']) }
            : undefined;
        }
        if (callee.type !== 'MemberExpression' || callee.computed) return undefined;
        const object = this.fold(callee.object as JNode, depth);
        if (!object) return undefined;
        const method = (callee.property as JNode).value as string;
        const value = applyFunction(method, object.value, args.values, false);
        return value === undefined ? undefined : { value, built: merge(object.built, args.built, [method]) };
      }
      default:
        return undefined;
    }
  }

  private foldArgs(args: readonly JNode[], depth: number): { values: Const[]; built: string[] } | undefined {
    const values: Const[] = [];
    const built: string[] = [];
    for (const arg of args) {
      const folded = this.fold(arg.type === 'KeywordArgumentExpression' ? (arg.value as JNode) : arg, depth);
      if (!folded) return undefined;
      values.push(folded.value);
      built.push(...folded.built);
    }
    return { values, built };
  }
}

/** String methods and filters that build names (`'_'.join(...)`, `|join`, `|reverse`, `.format`, `|format`, ...). */
function applyFunction(name: string, value: Const, args: Const[], isFilter: boolean): Const | undefined {
  const text = typeof value === 'string' ? value : undefined;
  switch (name) {
    case 'join': {
      // filter: list|join(sep); method: sep.join(list)
      const [list, separator] = isFilter ? [value, args[0] ?? ''] : [args[0], value];
      if (typeof separator !== 'string') return undefined;
      const items = typeof list === 'string' ? [...list] : list;
      if (!Array.isArray(items) || items.some((item) => Array.isArray(item))) return undefined;
      return items.map(String).join(separator);
    }
    case 'reverse':
      return text !== undefined
        ? [...text].reverse().join('')
        : Array.isArray(value)
          ? [...value].reverse()
          : undefined;
    case 'format':
      if (text === undefined) return undefined;
      return isFilter ? printf(text, args) : pythonFormat(text, args);
    case 'lower':
      return text?.toLowerCase();
    case 'upper':
      return text?.toUpperCase();
    case 'trim':
    case 'strip':
      return text?.trim();
    case 'lstrip':
      return text?.trimStart();
    case 'rstrip':
      return text?.trimEnd();
    case 'string':
      return Array.isArray(value) ? undefined : String(value);
    case 'list':
      return text !== undefined ? [...text] : Array.isArray(value) ? value : undefined;
    case 'first':
      return text !== undefined ? text[0] : Array.isArray(value) ? value[0] : undefined;
    case 'last':
      return text !== undefined ? text.at(-1) : Array.isArray(value) ? value.at(-1) : undefined;
    case 'replace': {
      const [from, to] = args;
      if (text === undefined || typeof from !== 'string' || typeof to !== 'string') return undefined;
      return from === '' ? undefined : text.split(from).join(to);
    }
    default:
      return undefined;
  }
}

/** Python `%` formatting for %s, %d, %c and %%. */
function printf(format: string, args: Const[]): string | undefined {
  let next = 0;
  let failed = false;
  const out = format.replace(/%([sdc%])/g, (_, code: string) => {
    if (code === '%') return '%';
    const arg = args[next++];
    if (arg === undefined || Array.isArray(arg)) {
      failed = true;
      return '';
    }
    if (code === 'c') return typeof arg === 'number' ? String.fromCodePoint(arg) : String(arg);
    return String(arg);
  });
  return failed ? undefined : out;
}

/** Python `str.format` for `{}`, `{0}` and doubled braces. */
function pythonFormat(format: string, args: Const[]): string | undefined {
  let next = 0;
  let failed = false;
  const out = format.replace(/\{\{|\}\}|\{(\d*)\}/g, (match, index: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const arg = args[index ? Number(index) : next++];
    if (arg === undefined || Array.isArray(arg)) {
      failed = true;
      return '';
    }
    return String(arg);
  });
  return failed ? undefined : out;
}

function slice(value: Const, start?: number, stop?: number, step = 1): Const | undefined {
  if (typeof value === 'number' || step === 0) return undefined;
  const items = typeof value === 'string' ? [...value] : value;
  const length = items.length;
  const clamp = (index: number) => {
    const absolute = index < 0 ? index + length : index;
    return step > 0 ? Math.min(Math.max(absolute, 0), length) : Math.min(Math.max(absolute, -1), length - 1);
  };
  const from = start === undefined ? (step > 0 ? 0 : length - 1) : clamp(start);
  const to = stop === undefined ? (step > 0 ? length : -1) : clamp(stop);
  const out: Const[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(items[i]);
  return typeof value === 'string' ? out.join('') : out;
}

function merge(...lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

/**
 * A filter as @huggingface/jinja parses it: `attr('a')(1).b` arrives as calls and members wrapped around the
 * filter's own call. Returns the filter's name and arguments, then what is applied to its result, innermost first.
 */
function unwrapFilter(filter: JNode): { name: string; args: JNode[]; tail: JNode[] } | undefined {
  const tail: JNode[] = [];
  let node = filter;
  for (let guard = 0; guard < CHAT_TEMPLATE_LIMITS.maxSteps; guard++) {
    if (node.type === 'Identifier') return { name: node.value as string, args: [], tail: tail.reverse() };
    if (node.type === 'CallExpression') {
      const callee = node.callee as JNode;
      if (callee.type === 'Identifier') {
        return { name: callee.value as string, args: (node.args as JNode[]) ?? [], tail: tail.reverse() };
      }
      tail.push(node);
      node = callee;
    } else if (node.type === 'MemberExpression') {
      tail.push(node);
      node = node.object as JNode;
    } else return undefined;
  }
  return undefined;
}

/** `ns.x` for an assignment or read of a namespace attribute. */
function staticName(node: JNode): string | undefined {
  const object = node.object as JNode;
  const property = node.property as JNode;
  if (node.computed || object.type !== 'Identifier' || property.type !== 'Identifier') return undefined;
  return `${object.value as string}.${property.value as string}`;
}

function loopVariables(node: JNode): string[] {
  if (node.type === 'Identifier') return [node.value as string];
  if (node.type === 'TupleLiteral' || node.type === 'ArrayLiteral')
    return (node.value as JNode[]).flatMap(loopVariables);
  return [];
}

function rootShape(node: JNode): string {
  switch (node.type) {
    case 'StringLiteral':
      return "''";
    case 'ArrayLiteral':
      return '[]';
    case 'TupleLiteral':
      return '()';
    case 'ObjectLiteral':
      return '{}';
    case 'IntegerLiteral':
    case 'FloatLiteral':
      return '0';
    default:
      return '(expression)';
  }
}

/** Sub-expressions of a node that is not an access chain. */
function children(node: JNode): JNode[] {
  switch (node.type) {
    case 'BinaryExpression':
      return [node.left as JNode, node.right as JNode];
    case 'UnaryExpression':
    case 'SpreadExpression':
    case 'KeywordSpreadExpression':
      return [node.argument as JNode];
    case 'TestExpression':
      return [node.operand as JNode];
    case 'SelectExpression':
      return [node.lhs as JNode, node.test as JNode];
    case 'Ternary':
      return [node.condition as JNode, node.trueExpr as JNode, node.falseExpr as JNode];
    case 'ArrayLiteral':
    case 'TupleLiteral':
      return node.value as JNode[];
    case 'ObjectLiteral':
      return [...(node.value as Map<JNode, JNode>).entries()].flat();
    case 'KeywordArgumentExpression':
      return [node.value as JNode];
    case 'SliceExpression':
      return [node.start, node.stop, node.step].filter(Boolean) as JNode[];
    default:
      return [];
  }
}

function hasChildren(node: JNode): boolean {
  return children(node).length > 0;
}

function renderPath(root: string, steps: readonly TemplateStep[]): string {
  let out = root;
  for (const step of steps) {
    const name = step.name !== undefined ? step.name : step.index !== undefined ? String(step.index) : undefined;
    switch (step.op) {
      case 'attribute':
        out +=
          step.via === 'attr-filter' ? `|attr(${name === undefined ? '?' : JSON.stringify(name)})` : `.${name ?? '?'}`;
        break;
      case 'item':
        out +=
          step.via === 'slice' ? '[:]' : `[${step.name !== undefined ? JSON.stringify(step.name) : (name ?? '*')}]`;
        break;
      case 'call':
        out += '()';
        break;
      case 'filter':
        out += `|${name}`;
        break;
    }
  }
  return out;
}
