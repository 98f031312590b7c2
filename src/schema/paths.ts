/**
 * Dotted field paths (`author.name`) over documents that hold objects and arrays. A schema declares leaves by
 * their path; a document holds them nested (`{"author": {"name": "x"}}`). An array of objects is flattened: the
 * values of `authors.name` are the `name` of every element, as Elasticsearch's `object` mapping indexes them.
 */

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every value a document holds at a path, in document order: arrays on the way (of objects) and at the leaf
 * (of values) are flattened; null and missing values are left out.
 */
export function valuesAt(doc: Record<string, unknown>, path: string): unknown[] {
  const out: unknown[] = [];
  // Module-level recursion rather than a closure per call: this runs for every field of every document written.
  collect(doc, path.includes('.') ? path.split('.') : [path], 0, out);
  return out;
}

function collect(node: unknown, segments: string[], i: number, out: unknown[]): void {
  if (node === undefined || node === null) return;
  if (Array.isArray(node)) {
    for (const el of node) collect(el, segments, i, out);
    return;
  }
  if (i === segments.length) {
    out.push(node);
    return;
  }
  if (!isObject(node) || !Object.hasOwn(node, segments[i]!)) return;
  collect(node[segments[i]!], segments, i + 1, out);
}

/**
 * A copy of the document with every leaf at one of `paths` replaced by `fn(value)` (each element of an array of
 * objects on the way is visited). Leaves that are missing stay missing; the input is not changed.
 */
export function mapLeaves(
  doc: Record<string, unknown>,
  paths: string[],
  fn: (value: unknown, path: string) => unknown,
): Record<string, unknown> {
  let out = doc;
  for (const path of paths)
    out = mapOne(out, path.split('.'), 0, (v) => fn(v, path)) as Record<string, unknown>;
  return out;
}

function mapOne(node: unknown, segments: string[], i: number, fn: (v: unknown) => unknown): unknown {
  if (Array.isArray(node) && i > 0) return node.map((el) => mapOne(el, segments, i, fn));
  if (!isObject(node)) return node;
  const key = segments[i]!;
  if (!Object.hasOwn(node, key) || node[key] === undefined || node[key] === null) return node;
  const next = i === segments.length - 1 ? fn(node[key]) : mapOne(node[key], segments, i + 1, fn);
  return { ...node, [key]: next };
}

/**
 * The part of a document named by `paths`, in its nested shape: `["author.name"]` of
 * `{"author": {"name": "x", "born": 1}}` is `{"author": {"name": "x"}}`; through an array of objects every
 * element keeps only the named members.
 */
export function project(doc: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const groups = new Map<string, string[]>();
  for (const path of paths) {
    const dot = path.indexOf('.');
    const head = dot < 0 ? path : path.slice(0, dot);
    const rest = dot < 0 ? '' : path.slice(dot + 1);
    const list = groups.get(head) ?? [];
    list.push(rest);
    groups.set(head, list);
  }
  const out: Record<string, unknown> = {};
  for (const [head, rests] of groups) {
    if (!Object.hasOwn(doc, head) || doc[head] === undefined) continue;
    const value = doc[head];
    if (rests.includes('')) out[head] = value;
    else if (isObject(value)) out[head] = project(value, rests);
    else if (Array.isArray(value)) {
      const items = value.filter(isObject).map((el) => project(el, rests));
      if (items.length) out[head] = items;
    }
  }
  return out;
}

/** The top-level member names a schema's fields live under (`author` for `author.name`). */
export function topLevelNames(fields: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(fields).map((f) => f.split('.')[0]!));
}
