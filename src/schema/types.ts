/** The index schema: what each field is and what Sift may do with it. Engine-neutral. */
export const FIELD_TYPES = ['text', 'keyword', 'integer', 'float', 'date', 'boolean', 'vector'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * How two vectors of a vector field are compared; the score of a hit is Elasticsearch's formula on every engine:
 * cosine `(1 + cos) / 2`, dot_product `(1 + dot) / 2` (unit-length vectors only), euclidean `1 / (1 + d^2)`.
 */
export const SIMILARITIES = ['cosine', 'dot_product', 'euclidean'] as const;
export type Similarity = (typeof SIMILARITIES)[number];
/** The most dimensions a vector field may have (Elasticsearch's dense_vector limit). */
export const MAX_DIMENSIONS = 4096;

/**
 * What a vector field holds and how it is searched. Its options sit on the field itself, as a schema is written
 * (`{"type": "vector", "dimensions": 384, "similarity": "cosine", "index": true}`), present exactly when the type
 * is `vector`, so a schema read back from the API is one that can be written again.
 */
export interface VectorSpec {
  dimensions: number;
  similarity: Similarity;
  /**
   * Ask the engine for an approximate index (HNSW on the clusters). The embedded engine always searches exactly
   * (brute force over the filtered documents), whatever this says.
   */
  index: boolean;
}

/**
 * An embedder of a vector field: where Sift gets the vectors of documents written without one, and of `q` in a
 * hybrid or semantic search. The only source is `rest`, an OpenAI-compatible `POST {url}/v1/embeddings`. The API
 * key is never part of the schema (which is stored and read back): `api_key_env` names the environment variable
 * of the Sift process that holds it.
 */
export interface EmbedderSpec {
  source: 'rest';
  /** The server's base URL, http or https, without credentials; requests go to `{url}/v1/embeddings`. */
  url: string;
  model: string;
  /** The text or keyword fields whose values, joined by newlines, are embedded. */
  fields: string[];
  api_key_env?: string;
  /** Texts per request. */
  batch_size: number;
  /** The longest one request may take. */
  timeout_ms: number;
  /** Further attempts after a 5xx, a 429, a timeout or a refused connection, with exponential backoff. */
  retries: number;
}

export interface FieldSpec {
  type: FieldType;
  /** Full-text searchable (text and keyword fields only). */
  searchable: boolean;
  /** Relevance weight when searchable; 1 by default. */
  boost: number;
  filterable: boolean;
  facet: boolean;
  sortable: boolean;
  /** Included in hits unless `fields` asks otherwise. */
  returned: boolean;
  required: boolean;
  /**
   * Holds a list of values (`["fantasy", "humor"]`); present only when true, so schemas without arrays read back
   * as they were written. A filter matches when any element does; a facet counts each value once per document.
   */
  array?: true;
  /** Vector fields only (see VectorSpec): a document carries an array of exactly this many finite numbers. */
  dimensions?: number;
  similarity?: Similarity;
  index?: boolean;
  /** Vector fields only: computes the vector of a document written without one (see EmbedderSpec). */
  embedder?: EmbedderSpec;
}

/** A field spec known to be a vector field's. */
export type VectorFieldSpec = FieldSpec & VectorSpec & { type: 'vector' };
export const isVectorField = (spec: FieldSpec | undefined): spec is VectorFieldSpec =>
  spec?.type === 'vector';

export interface RankingSpec {
  /** Boost a hit whose field equals the whole query (case-insensitive): known-item search. */
  exact_match?: { fields: string[]; boost: number };
  /** Add weight * ln(1 + value) of a numeric field, like Elasticsearch's field_value_factor with log1p. */
  popularity?: { field: string; weight: number };
}

/**
 * How many typos a query word may carry and still match: none below `one_typo` characters, one from there, two
 * from `two_typos`. Fields in `disable_on_fields` match only what was typed (ids, versions, codes).
 */
export interface TypoToleranceSpec {
  enabled: boolean;
  min_word_size: { one_typo: number; two_typos: number };
  disable_on_fields: string[];
}

/** Words dropped from a query unless the query has nothing else: named shipped lists plus the index's own. */
export interface StopWordsSpec {
  lists: string[];
  words: string[];
}

/**
 * A synonym rule: `words` all mean the same (multi-way), or `from` also finds `to` (one-way). Entries may be
 * several words ("new york").
 */
export type SynonymRule = { words: string[] } | { from: string; to: string[] };

/**
 * A curation rule: when the query is `query` (match `exact`) or holds it as whole words (`contains`), and the
 * request's filter holds `filter` when one is given, the `pin` documents are shown at their 1-based positions
 * and the `hide` documents never. Queries are stored normalised (trimmed, lower-cased, spaces collapsed).
 */
export interface CurationRule {
  name?: string;
  query: string;
  match: 'exact' | 'contains';
  /** A filter expression (the `filter` parameter's syntax). */
  filter?: string;
  /** Sorted by position. */
  pin: { id: string; position: number }[];
  hide: string[];
}

/** The relevance settings of an index (GET/PUT /api/indexes/{index}/settings), defaults filled in. */
export interface RelevanceSettings {
  typo_tolerance: TypoToleranceSpec;
  stop_words: StopWordsSpec;
  synonyms: SynonymRule[];
}

export interface IndexSchema {
  /** Name of the field holding the document id; the id is also returned as `id` on hits. */
  id_field: string;
  fields: Record<string, FieldSpec>;
  ranking: RankingSpec;
  /** Field whose values are offered as suggestions (prefix completion). */
  suggest?: { field: string };
  /** Absent: the defaults (typos on, 5 and 9 characters, every searchable field). */
  typo_tolerance?: TypoToleranceSpec;
  /** Absent: no stop words. */
  stop_words?: StopWordsSpec;
  /** Absent: none. */
  synonyms?: SynonymRule[];
  /** Pinned and hidden results per query; absent: none. */
  curations?: CurationRule[];
  /**
   * How the text of every searchable field is analysed: absent (standard) it is split into words and folded;
   * `english` also reduces each word to its stem (Porter), so "running" finds "run". Part of how the text index
   * is built: changing it rebuilds the text index.
   */
  analyzer?: Analyzer;
}

export const ANALYZERS = ['standard', 'english'] as const;
export type Analyzer = (typeof ANALYZERS)[number];

/** Numeric and date fields can carry range facets and stats. */
export const isNumericType = (t: FieldType): boolean => t === 'integer' || t === 'float' || t === 'date';
export const isTextual = (t: FieldType): boolean => t === 'text' || t === 'keyword';

/** The vector fields of a schema, in declaration order. */
export const vectorFields = (schema: IndexSchema): [string, VectorFieldSpec][] =>
  Object.entries(schema.fields).filter((e): e is [string, VectorFieldSpec] => isVectorField(e[1]));
