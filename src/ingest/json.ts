import { SiftError } from '../errors.js';

/** Deepest nesting of arrays and objects accepted in a document or body; nothing Sift takes needs more. */
export const MAX_JSON_DEPTH = 64;

/** Only texts that may spell a forbidden key (possibly with \u escapes) need the key check. */
const MAY_POISON = /__proto__|constructor|\\u/;

/**
 * Finds what makes a parsed JSON value unsafe: a `__proto__` key, a `constructor` key holding an object with a
 * `prototype` key (the two prototype-poisoning shapes), or nesting deeper than MAX_JSON_DEPTH. Iterative, so a
 * hostile input cannot overflow the stack here.
 */
function findProblem(root: unknown, checkKeys: boolean): string | null {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) return `nesting deeper than ${MAX_JSON_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
      continue;
    }
    if (checkKeys) {
      if (Object.hasOwn(value, '__proto__')) return 'a forbidden "__proto__" key';
      const ctor = Object.hasOwn(value, 'constructor')
        ? (value as Record<string, unknown>).constructor
        : undefined;
      if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype'))
        return 'a forbidden "constructor.prototype" key';
    }
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
    }
  }
  return null;
}

/**
 * JSON.parse with the protections of Fastify's own parser (no prototype poisoning) and a depth limit. Throws
 * SiftError INVALID_JSON whose message says what is wrong and, for syntax errors, where. `what` names the text
 * in the message ("body", "line 3").
 */
export function parseJsonText(text: string, what = 'body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message);
    const detail = err instanceof RangeError ? `nesting is too deep` : message;
    throw new SiftError(
      'INVALID_JSON',
      `${what} is not valid JSON: ${detail}`,
      pos ? { position: Number(pos[1]) } : undefined,
    );
  }
  const problem = findProblem(value, MAY_POISON.test(text));
  if (problem) throw new SiftError('INVALID_JSON', `${what} is refused: it contains ${problem}`);
  return value;
}

/**
 * The one NDJSON line rule, for the HTTP batch route and `sift import` alike: a trailing CR is dropped, a byte
 * order mark on the first line is ignored, a blank line is no item (undefined), and a line that is not safe
 * JSON becomes a SiftError INVALID_JSON naming the line, so the batch reports it in place and goes on.
 */
export function parseNdjsonLine(text: string, line: number): unknown {
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return undefined;
  try {
    return parseJsonText(text, `line ${line}`);
  } catch (err) {
    if (!(err instanceof SiftError)) throw err;
    return new SiftError('INVALID_JSON', err.message, { ...err.details, line });
  }
}
