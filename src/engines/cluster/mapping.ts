import { createHash } from 'node:crypto';
import { SiftError } from '../../errors.js';
import type { Document } from '../../schema/document.js';
import { mapLeaves, valuesAt } from '../../schema/paths.js';
import { isVectorField, type FieldSpec, type IndexSchema } from '../../schema/types.js';
import { indexedText } from './stemming.js';
import { vectorMapping, vectorShape, type Product } from './vector-mapping.js';

/**
 * Index schema -> cluster mapping, and document -> indexed source.
 *
 * Text analysis is Sift's own tokenizer (the one the embedded engine's FTS5 index uses), applied before indexing:
 * every searchable field gets a hidden copy `_sift.t.<field>` holding its tokens separated by spaces, which the
 * cluster indexes with its built-in `whitespace` analyzer. Matching, phrases and prefixes therefore behave exactly
 * as on the embedded engine, and no analysis plugin is needed (minimal distributions ship none); with the english
 * analyzer the tokens are Porter stems (stemming.ts). The original
 * field keeps the `standard` analyzer for the cluster's highlighter, which marks the matched words in the
 * original text. Other hidden fields: `_sift.id` (the id, the final sort key), `_sift.x.<field>` (lower-cased
 * value for the exact-match boost), `_sift.s`/`_sift.slen` (lower-cased suggest value and its length). They are
 * left out of the stored source, so `get` and hits return the document as written.
 */

export const SIFT = '_sift';
/** Upper bound of a keyword we index; longer values are kept in the source but not indexed (Lucene's limit). */
const KEYWORD_LIMIT = 8191;

/** The version marker in the mapping: which logical index and schema a physical index belongs to. */
export interface IndexMeta {
  index: string;
  version: number;
  schema: IndexSchema;
  created_at: string;
  /** Generation carried over from earlier versions and schema changes, so the generation never goes back. */
  generation_base: number;
  /** The version this one replaced (kept for rollback), when a reindex made it. */
  previous_version?: number | null;
}

/** Field names the cluster reserves or Sift uses for its hidden fields. */
const RESERVED = new Set([
  SIFT,
  '_id',
  '_index',
  '_source',
  '_routing',
  '_seq_no',
  '_primary_term',
  '_version',
  '_field_names',
  '_ignored',
  '_doc_count',
  '_tier',
  '_data_stream_timestamp',
  '_feature',
  '_nested_path',
  '_type',
]);

export function checkFieldNames(schema: IndexSchema): void {
  for (const name of Object.keys(schema.fields)) {
    // The first name of a path is a top-level field of the cluster's document too (`_sift.x`).
    if (RESERVED.has(name) || RESERVED.has(name.split('.')[0]!))
      throw new SiftError('INVALID_SCHEMA', `field "${name}" is a name the search cluster reserves`, {
        field: name,
      });
  }
}

/** A text field that is filtered, sorted or faceted on is reached through its keyword sub-field. */
const needsKeyword = (spec: FieldSpec) => spec.filterable || spec.sortable || spec.facet;

/** The path of a field for filters, sorts and aggregations. */
export function valuePath(schema: IndexSchema, field: string): string {
  return schema.fields[field]?.type === 'text' ? `${field}.kw` : field;
}

export const tokenPath = (field: string) => `${SIFT}.t.${field}`;
export const exactPath = (field: string) => `${SIFT}.x.${field}`;
export const ID_PATH = `${SIFT}.id`;
export const SUGGEST_PATH = `${SIFT}.s`;
export const SUGGEST_LENGTH_PATH = `${SIFT}.slen`;

function fieldMapping(spec: FieldSpec, schema: IndexSchema, product: Product): Record<string, unknown> {
  if (isVectorField(spec)) return vectorMapping(spec, schema, product);
  switch (spec.type) {
    case 'text':
      return {
        type: 'text',
        analyzer: 'standard',
        ...(spec.searchable ? { index_options: 'offsets' } : { index: false }),
        ...(needsKeyword(spec) ? { fields: { kw: { type: 'keyword', ignore_above: KEYWORD_LIMIT } } } : {}),
      };
    case 'keyword':
      return {
        type: 'keyword',
        ignore_above: KEYWORD_LIMIT,
        // A searchable keyword (a package name) is highlighted through a word-analyzed copy.
        ...(spec.searchable
          ? { fields: { hl: { type: 'text', analyzer: 'standard', index_options: 'offsets' } } }
          : {}),
      };
    case 'integer':
      return { type: 'long' };
    case 'float':
      return { type: 'double' };
    case 'date':
      // Sift sends epoch milliseconds; reading them first keeps a negative number (before 1970) from being
      // taken for a year by the ISO parser.
      return { type: 'date', format: 'epoch_millis||strict_date_optional_time' };
    case 'boolean':
      return { type: 'boolean' };
    case 'vector':
      // Mapped above, with what the product needs of it.
      throw new SiftError('INTERNAL', 'a vector field without its dimensions and similarity');
  }
}

/** Per schema, derived once: toSource runs for every document written, with the same schema each time. */
const derivedFields = new WeakMap<IndexSchema, { searchable: string[]; dates: string[] }>();
function fieldsOf(schema: IndexSchema): { searchable: string[]; dates: string[] } {
  let fields = derivedFields.get(schema);
  if (!fields) {
    const entries = Object.entries(schema.fields);
    fields = {
      searchable: entries.filter(([, s]) => s.searchable).map(([n]) => n),
      dates: entries.filter(([, s]) => s.type === 'date').map(([n]) => n),
    };
    derivedFields.set(schema, fields);
  }
  return fields;
}

const searchable = (schema: IndexSchema) => fieldsOf(schema).searchable;

export function mappingsFor(schema: IndexSchema, meta: IndexMeta, product: Product): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema.fields))
    properties[name] = fieldMapping(spec, schema, product);
  const tokens: Record<string, unknown> = {};
  for (const name of searchable(schema)) {
    tokens[name] = {
      type: 'text',
      analyzer: 'whitespace',
      // Search-as-you-type: prefixes of 1-10 characters are indexed terms, so a prefix query is a term lookup.
      index_prefixes: { min_chars: 1, max_chars: 10 },
      index_phrases: false,
    };
  }
  const exact: Record<string, unknown> = {};
  for (const name of schema.ranking.exact_match?.fields ?? [])
    exact[name] = { type: 'keyword', ignore_above: KEYWORD_LIMIT };
  properties[SIFT] = {
    type: 'object',
    dynamic: 'strict',
    properties: {
      id: { type: 'keyword' },
      t: { type: 'object', dynamic: 'strict', properties: tokens },
      x: { type: 'object', dynamic: 'strict', properties: exact },
      s: { type: 'keyword', ignore_above: KEYWORD_LIMIT },
      slen: { type: 'integer' },
    },
  };
  return {
    dynamic: 'strict',
    _meta: { sift: meta },
    _source: { excludes: [`${SIFT}.*`, SIFT] },
    properties,
  };
}

/**
 * Index settings of a new physical version. `replicas` is a count, or a range (`0-1`, `1-all`) the cluster keeps
 * the count in as data nodes come and go; the default `0-1` gives one replica wherever a second node exists, so
 * a cluster that loses a node still holds every document.
 */
export function settingsFor(maxResultWindow: number, replicas = '0-1'): Record<string, unknown> {
  return {
    // One shard keeps term statistics and facet counts exact.
    number_of_shards: 1,
    ...replicaSettings(replicas),
    max_result_window: Math.max(10_000, maxResultWindow),
  };
}

/** ELASTICSEARCH_REPLICAS as index settings: a count, or a range the cluster keeps as data nodes come and go. */
export function replicaSettings(replicas = '0-1'): Record<string, unknown> {
  return replicas.includes('-')
    ? { auto_expand_replicas: replicas }
    : { number_of_replicas: Number(replicas), auto_expand_replicas: false };
}

/**
 * What Sift derives from the schema into hidden fields. When it changes, existing documents must be re-derived,
 * which the cluster engine does by reindexing into a new version.
 */
export function derivedShape(schema: IndexSchema): string {
  return JSON.stringify({
    t: searchable(schema),
    x: schema.ranking.exact_match?.fields ?? [],
    s: schema.suggest?.field ?? null,
    // The token fields hold stems under the english analyzer: changing it re-derives them.
    analyzer: schema.analyzer ?? 'standard',
    kw: Object.entries(schema.fields)
      .filter(([, s]) => s.type === 'text' && needsKeyword(s))
      .map(([n]) => n),
    // OpenSearch fixes at creation whether an index has HNSW graphs (index.knn).
    knn: vectorShape(schema),
  });
}

/** Ids are the cluster's `_id` unless longer than its 512-byte limit; then a digest stands in for them. */
export function docId(id: string): string {
  return Buffer.byteLength(id) <= 512 ? id : `~sift-sha256:${sha256(id)}`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The source to index: the document as given plus the hidden derived fields. */
export function toSource(schema: IndexSchema, id: string, document: Document): Record<string, unknown> {
  // Paths into objects and lists: every value at the path (the elements of a list, of an array of objects).
  const strings = (name: string) =>
    valuesAt(document, name).filter((v): v is string => typeof v === 'string');
  const t: Record<string, string | string[]> = {};
  for (const name of searchable(schema)) {
    const items = strings(name).map((v) => indexedText(schema, v));
    // A list stays a list: the cluster leaves a gap of positions between items, so a phrase cannot span two.
    if (items.length) t[name] = schema.fields[name]!.array ? items : items[0]!;
  }
  const x: Record<string, string> = {};
  for (const name of schema.ranking.exact_match?.fields ?? []) {
    const v = strings(name)[0];
    if (v !== undefined) x[name] = v.trim().replace(/\s+/g, ' ').toLowerCase();
  }
  const hidden: Record<string, unknown> = { id, t, x };
  const sf = schema.suggest?.field;
  const sv = sf ? strings(sf)[0] : undefined;
  if (sv !== undefined) {
    hidden.s = sv.toLowerCase();
    hidden.slen = sv.length;
  }
  // Dates go in as epoch milliseconds: every engine version parses those alike, while ISO years beyond 9999 (which
  // Sift accepts) are refused by some. fromSource turns them back into Sift's ISO form.
  const source = mapLeaves(document, dateFields(schema), (v) =>
    Array.isArray(v) ? v.map(toEpoch) : toEpoch(v),
  );
  return { ...source, [schema.id_field]: id, [SIFT]: hidden };
}

const dateFields = (schema: IndexSchema) => fieldsOf(schema).dates;

const toEpoch = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? v : ms;
};

const toIso = (v: unknown): unknown => (typeof v === 'number' ? new Date(v).toISOString() : v);

/** A stored source back into the document Sift returns (dates as ISO-8601 UTC, as they were validated). */
export function fromSource(schema: IndexSchema, source: Record<string, unknown>): Document {
  const doc: Document = { ...source };
  delete doc[SIFT];
  return mapLeaves(doc, dateFields(schema), (v) => (Array.isArray(v) ? v.map(toIso) : toIso(v)));
}
