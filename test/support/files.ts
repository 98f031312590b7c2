import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from './cli.js';

export { ROOT };
export const DEPLOY = join(ROOT, 'deploy');

export const readText = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
/** YAML with `<<` merge keys resolved, as Docker Compose reads it. */
export const readYaml = <T = unknown>(rel: string): T => parse(readText(rel), { merge: true }) as T;
export const parseDocs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
