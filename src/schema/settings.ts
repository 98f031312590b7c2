import { SiftError } from '../errors.js';
import { STOP_WORD_LISTS } from './stop-words.js';
import type {
  FieldSpec,
  IndexSchema,
  RelevanceSettings,
  StopWordsSpec,
  SynonymRule,
  TypoToleranceSpec,
} from './types.js';

/**
 * The relevance settings of an index: typo tolerance and stop words. They live in the index schema (so they are
 * versioned with it and travel through a reindex) and are read and replaced on their own through
 * `/api/indexes/{index}/settings`. Nothing here needs a reindex on any engine: both apply at query time.
 */

/** One typo from 5 characters, two from 9: what Meilisearch and Typesense users expect. */
export const DEFAULT_TYPO_TOLERANCE: TypoToleranceSpec = Object.freeze({
  enabled: true,
  min_word_size: Object.freeze({ one_typo: 5, two_typos: 9 }),
  disable_on_fields: Object.freeze([]) as unknown as string[],
});
export const DEFAULT_STOP_WORDS: StopWordsSpec = Object.freeze({
  lists: Object.freeze([]) as unknown as string[],
  words: Object.freeze([]) as unknown as string[],
});

export const SETTINGS_KEYS = ['typo_tolerance', 'stop_words', 'synonyms'] as const;
const MAX_SYNONYM_RULES = 1000;
const MAX_SYNONYMS_PER_RULE = 32;
/** A synonym entry: a word or several, no control characters. */
const MAX_ENTRY_LENGTH = 128;
const MAX_STOP_WORDS = 1000;
const MAX_WORD_SIZE = 64;
/** Control characters are refused in every word of the settings (the OpenAPI document states the same). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const fail = (setting: string, problem: string): never => {
  throw new SiftError('INVALID_SETTINGS', `${setting}: ${problem}`, { setting });
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(setting: string, obj: Record<string, unknown>, known: string[]): void {
  for (const key of Object.keys(obj))
    if (!known.includes(key)) fail(setting, `unknown key "${key}" (known: ${known.join(', ')})`);
}

function wordSize(setting: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_WORD_SIZE)
    fail(setting, `must be an integer from 1 to ${MAX_WORD_SIZE}, got ${JSON.stringify(v)}`);
  return v as number;
}

export function parseTypoTolerance(raw: unknown, fields: Record<string, FieldSpec>): TypoToleranceSpec {
  if (raw === undefined) return structuredClone(DEFAULT_TYPO_TOLERANCE);
  if (!isObject(raw)) fail('typo_tolerance', 'must be an object, e.g. {"enabled": true}');
  const obj = raw as Record<string, unknown>;
  onlyKeys('typo_tolerance', obj, ['enabled', 'min_word_size', 'disable_on_fields']);
  const enabled = obj.enabled ?? true;
  if (typeof enabled !== 'boolean') fail('typo_tolerance.enabled', 'must be true or false');
  let sizes = { ...DEFAULT_TYPO_TOLERANCE.min_word_size };
  if (obj.min_word_size !== undefined) {
    if (!isObject(obj.min_word_size))
      fail('typo_tolerance.min_word_size', 'must be {"one_typo": 5, "two_typos": 9}');
    const m = obj.min_word_size as Record<string, unknown>;
    onlyKeys('typo_tolerance.min_word_size', m, ['one_typo', 'two_typos']);
    sizes = {
      one_typo: wordSize('typo_tolerance.min_word_size.one_typo', m.one_typo, sizes.one_typo),
      two_typos: wordSize('typo_tolerance.min_word_size.two_typos', m.two_typos, sizes.two_typos),
    };
    if (sizes.two_typos < sizes.one_typo)
      fail('typo_tolerance.min_word_size', 'two_typos must be at least one_typo');
  }
  const off = obj.disable_on_fields ?? [];
  if (!Array.isArray(off)) fail('typo_tolerance.disable_on_fields', 'must be an array of field names');
  for (const f of off as unknown[]) {
    if (typeof f !== 'string' || !Object.hasOwn(fields, f))
      fail('typo_tolerance.disable_on_fields', `${JSON.stringify(f)} is not a field of this index`);
    else if (!fields[f]!.searchable)
      fail('typo_tolerance.disable_on_fields', `field "${f}" is not searchable`);
  }
  return {
    enabled: enabled as boolean,
    min_word_size: sizes,
    disable_on_fields: [...new Set(off as string[])],
  };
}

export function parseStopWords(raw: unknown): StopWordsSpec {
  if (raw === undefined) return structuredClone(DEFAULT_STOP_WORDS);
  if (!isObject(raw)) fail('stop_words', 'must be an object, e.g. {"lists": ["english"], "words": ["etc"]}');
  const obj = raw as Record<string, unknown>;
  onlyKeys('stop_words', obj, ['lists', 'words']);
  const lists = obj.lists ?? [];
  if (!Array.isArray(lists)) fail('stop_words.lists', 'must be an array of list names');
  for (const l of lists as unknown[]) {
    if (typeof l !== 'string' || !Object.hasOwn(STOP_WORD_LISTS, l))
      fail(
        'stop_words.lists',
        `unknown list ${JSON.stringify(l)} (shipped: ${Object.keys(STOP_WORD_LISTS).join(', ')})`,
      );
  }
  const words = obj.words ?? [];
  if (!Array.isArray(words)) fail('stop_words.words', 'must be an array of words');
  if ((words as unknown[]).length > MAX_STOP_WORDS)
    fail('stop_words.words', `at most ${MAX_STOP_WORDS} words`);
  for (const w of words as unknown[]) {
    // A stop word is compared with the query's words: one with spaces or punctuation never matches one.
    if (typeof w !== 'string' || w.length < 1 || w.length > 64 || CONTROL.test(w))
      fail('stop_words.words', `${JSON.stringify(w)} must be 1-64 characters without control characters`);
  }
  return {
    lists: [...new Set(lists as string[])],
    words: [...new Set((words as string[]).map((w) => w.toLowerCase()))],
  };
}

function synonymEntry(setting: string, v: unknown): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > MAX_ENTRY_LENGTH || CONTROL.test(v))
    fail(setting, `${JSON.stringify(v)} must be 1-${MAX_ENTRY_LENGTH} characters without control characters`);
  return (v as string).trim().split(/\s+/).join(' ').toLowerCase();
}

function synonymList(setting: string, v: unknown, min: number): string[] {
  if (!Array.isArray(v) || v.length < min || v.length > MAX_SYNONYMS_PER_RULE)
    fail(setting, `must be an array of ${min}-${MAX_SYNONYMS_PER_RULE} words or phrases`);
  // Entries that are the same once lower-cased are kept once; a rule left with one entry does nothing.
  return [...new Set((v as unknown[]).map((w) => synonymEntry(setting, w)))];
}

/** Multi-way rules `{"words": [...]}` and one-way rules `{"from": "k8s", "to": ["kubernetes"]}`. */
export function parseSynonyms(raw: unknown): SynonymRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_SYNONYM_RULES)
    fail('synonyms', `must be an array of at most ${MAX_SYNONYM_RULES} rules`);
  return (raw as unknown[]).map((rule, i) => {
    const at = `synonyms[${i}]`;
    if (!isObject(rule)) fail(at, 'must be {"words": [...]} or {"from": "...", "to": [...]}');
    const r = rule as Record<string, unknown>;
    if ('words' in r) {
      onlyKeys(at, r, ['words']);
      return { words: synonymList(`${at}.words`, r.words, 2) };
    }
    onlyKeys(at, r, ['from', 'to']);
    if (r.from === undefined || r.to === undefined)
      fail(at, 'must be {"words": [...]} or {"from": "...", "to": [...]}');
    return { from: synonymEntry(`${at}.from`, r.from), to: synonymList(`${at}.to`, r.to, 1) };
  });
}

/** The settings body of PUT /api/indexes/{index}/settings; a key left out goes back to its default. */
export function parseSettings(raw: unknown, fields: Record<string, FieldSpec>): RelevanceSettings {
  if (!isObject(raw)) fail('settings', 'must be an object with typo_tolerance and/or stop_words');
  const obj = raw as Record<string, unknown>;
  onlyKeys('settings', obj, [...SETTINGS_KEYS]);
  return {
    typo_tolerance: parseTypoTolerance(obj.typo_tolerance, fields),
    stop_words: parseStopWords(obj.stop_words),
    synonyms: parseSynonyms(obj.synonyms),
  };
}

/** The effective settings of a schema, defaults filled in. */
export function settingsOf(schema: IndexSchema): RelevanceSettings {
  return {
    typo_tolerance: schema.typo_tolerance ?? structuredClone(DEFAULT_TYPO_TOLERANCE),
    stop_words: schema.stop_words ?? structuredClone(DEFAULT_STOP_WORDS),
    synonyms: schema.synonyms ?? [],
  };
}

/** Every stop word of a schema, lists expanded. */
export function stopWordSet(schema: IndexSchema): Set<string> {
  const spec = schema.stop_words;
  if (!spec) return new Set();
  const out = new Set(spec.words);
  for (const l of spec.lists)
    for (const w of STOP_WORD_LISTS[l as keyof typeof STOP_WORD_LISTS] ?? []) out.add(w);
  return out;
}
