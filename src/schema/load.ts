import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SiftError } from '../errors.js';
import { parseSchema } from './validate.js';
import type { IndexSchema } from './types.js';

/** Reads a schema from a .yaml/.yml or .json file. */
export function loadSchemaFile(path: string): IndexSchema {
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new SiftError('INVALID_SCHEMA', `${path}: cannot parse: ${(err as Error).message}`);
  }
  try {
    return parseSchema(raw);
  } catch (err) {
    if (err instanceof SiftError) throw new SiftError(err.code, `${path}: ${err.message}`, err.details);
    throw err;
  }
}
