/** The index schema: what each field is and what Sift may do with it. Engine-neutral. */
export const FIELD_TYPES = ['text', 'keyword', 'integer', 'float', 'date', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

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
}

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
