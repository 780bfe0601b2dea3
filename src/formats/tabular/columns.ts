import { isMissing } from './nulls.js';
import type { Cell } from './types.js';

/**
 * Typed columns built from streamed rows, with type inference:
 * - numeric: every non-null value is a number (or numeric text); ±inf counted with the nulls, as Evidently drops them;
 * - boolean: every value is true/false (JSON booleans or the words, any case);
 * - datetime: every value is ISO 8601 text (`2024-01-31`, `2024-01-31T12:00:00Z`), held as epoch milliseconds;
 * - text: free text, told apart from categories by being long (mean ≥ 40 characters) or nearly unique (more than
 *   100 distinct values covering over half the rows) with spaces;
 * - categorical: everything else (dictionary-encoded).
 * Columns where every value is missing are `empty`.
 */
export type ColumnType = 'numeric' | 'datetime' | 'boolean' | 'categorical' | 'text' | 'empty';

interface ColumnBase {
  name: string;
  /** Rows seen (nulls included). */
  rows: number;
  /** Missing values: null, empty/NA tokens, and for numeric columns NaN and ±inf. */
  nulls: number;
}
/** Non-null values only, in row order. */
export interface NumericColumn extends ColumnBase {
  type: 'numeric' | 'datetime';
  values: Float64Array;
}
/** `codes[i]` indexes `categories`; non-null values only, in row order. */
export interface CategoricalColumn extends ColumnBase {
  type: 'categorical' | 'boolean' | 'text';
  codes: Int32Array;
  categories: string[];
}
export interface EmptyColumn extends ColumnBase {
  type: 'empty';
}
export type TypedColumn = NumericColumn | CategoricalColumn | EmptyColumn;

const NUMBER = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const INFINITY = /^\s*[+-]?(?:inf|infinity)\s*$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A cell as a number when it is one (numbers, numeric text), else undefined. */
export function numericValue(cell: Cell): number | undefined {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'string') {
    if (NUMBER.test(cell)) return Number(cell);
    if (INFINITY.test(cell)) return cell.trim().startsWith('-') ? -Infinity : Infinity;
  }
  return undefined;
}

/** A cell as category text: strings as they are, booleans as `true`/`false`, nested values as JSON. */
export function categoryValue(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

class GrowableFloat64 {
  data = new Float64Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Collects one column's cells; numbers stay in a Float64 buffer until a non-numeric value turns it categorical. */
export class ColumnBuilder {
  rows = 0;
  nulls = 0;
  private numbers: GrowableFloat64 | undefined = new GrowableFloat64();
  /** Infinite values seen while numeric: nulls if the column stays numeric, categories otherwise. */
  private infinities = 0;
  private codes: GrowableInt32 | undefined;
  private dictionary = new Map<string, number>();
  private categories: string[] = [];

  constructor(readonly name: string) {}

  /** Fills the rows a JSONL file had before this column's key first appeared. */
  addNulls(count: number): void {
    this.rows += count;
    this.nulls += count;
  }

  add(cell: Cell | undefined): void {
    this.rows += 1;
    if (isMissing(cell)) {
      this.nulls += 1;
      return;
    }
    if (this.numbers) {
      const value = typeof cell === 'boolean' ? undefined : numericValue(cell);
      if (value !== undefined && !Number.isNaN(value)) {
        if (Number.isFinite(value)) this.numbers.push(value);
        else this.infinities += 1;
        return;
      }
      this.becomeCategorical();
    }
    this.addCategory(categoryValue(cell));
  }

  private becomeCategorical(): void {
    const numbers = this.numbers as GrowableFloat64;
    this.numbers = undefined;
    this.codes = new GrowableInt32();
    for (let i = 0; i < numbers.length; i++) this.addCategory(String(numbers.data[i]));
    for (let i = 0; i < this.infinities; i++) this.addCategory('inf');
    this.infinities = 0;
  }

  private addCategory(text: string): void {
    let code = this.dictionary.get(text);
    if (code === undefined) {
      code = this.categories.length;
      this.dictionary.set(text, code);
      this.categories.push(text);
    }
    (this.codes as GrowableInt32).push(code);
  }

  finish(): TypedColumn {
    const base = { name: this.name, rows: this.rows };
    if (this.numbers) {
      const nulls = this.nulls + this.infinities;
      if (this.numbers.length === 0) return { ...base, nulls, type: 'empty' };
      return { ...base, nulls, type: 'numeric', values: this.numbers.toArray() };
    }
    const codes = (this.codes as GrowableInt32).toArray();
    const categories = this.categories;
    if (categories.every((c) => /^(?:true|false)$/i.test(c))) {
      const normalised = categories.map((c) => c.toLowerCase());
      return recode({ ...base, nulls: this.nulls, type: 'boolean', codes, categories: normalised });
    }
    if (categories.every((c) => ISO_DATE.test(c) && Number.isFinite(Date.parse(c)))) {
      const epoch = categories.map((c) => Date.parse(c));
      const values = Float64Array.from(codes, (code) => epoch[code]);
      return { ...base, nulls: this.nulls, type: 'datetime', values };
    }
    return {
      ...base,
      nulls: this.nulls,
      type: looksLikeText(codes.length, categories) ? 'text' : 'categorical',
      codes,
      categories,
    };
  }
}

function looksLikeText(count: number, categories: string[]): boolean {
  let totalLength = 0;
  let withSpaces = 0;
  for (const category of categories) {
    totalLength += category.length;
    if (/\s/.test(category.trim())) withSpaces += 1;
  }
  if (totalLength / categories.length >= 40) return true;
  return categories.length > 100 && categories.length > count / 2 && withSpaces > categories.length / 2;
}

/** Merges categories that became equal after normalisation (`True` and `true`). */
function recode(column: CategoricalColumn): CategoricalColumn {
  const unique = [...new Set(column.categories)];
  if (unique.length === column.categories.length) return column;
  const map = column.categories.map((c) => unique.indexOf(c));
  return { ...column, codes: column.codes.map((code) => map[code]), categories: unique };
}
