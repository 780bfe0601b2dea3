/**
 * A small JSONPath subset for pointing at the output in an endpoint's answer: `$.a.b[0].c`, `a.b[0]`, `$['key']`.
 * No filters, wildcards or scripts: the path is data, never evaluated.
 */
export function parseJsonPath(path: string): (string | number)[] {
  const steps: (string | number)[] = [];
  const pattern = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|^([A-Za-z_][\w$-]*)/gy;
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  pattern.lastIndex = 0;
  while (pattern.lastIndex < rest.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(rest);
    if (!match) throw new Error(`JSON path "${path}" is not supported at character ${start + 1}: use $.field[0].field`);
    const [, dotted, index, single, double, first] = match;
    steps.push(index !== undefined ? Number(index) : (dotted ?? single ?? double ?? first));
  }
  return steps;
}

/** The value at `steps`, or undefined when any step is missing. */
export function valueAt(value: unknown, steps: readonly (string | number)[]): unknown {
  let current = value;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    current =
      typeof step === 'number'
        ? Array.isArray(current)
          ? current[step]
          : undefined
        : Object.hasOwn(current, step)
          ? (current as Record<string, unknown>)[step]
          : undefined;
  }
  return current;
}
