/**
 * The engine-neutral query model. HTTP parameters and bodies are parsed into a SearchRequest once
 * (src/query/request.ts); every engine translates this and nothing else.
 */
export type Scalar = string | number | boolean;

export type Filter =
  // `pinned`: a restriction the client cannot lift (a scoped key's filter); disjunctive facets never drop it.
  | { kind: 'and'; children: Filter[]; pinned?: true }
  | { kind: 'or'; children: Filter[] }
  | { kind: 'not'; child: Filter }
  | { kind: 'term'; field: string; value: Scalar }
  | { kind: 'terms'; field: string; values: Scalar[] }
  | { kind: 'range'; field: string; gt?: Scalar; gte?: Scalar; lt?: Scalar; lte?: Scalar }
  | { kind: 'exists'; field: string };

/** Free-text query after parsing: terms are AND-ed; the last bare term may also match as a prefix. */
export interface TextQuery {
  /** Each clause is one term or one phrase (several tokens, adjacent and in order). */
  must: TextClause[];
  mustNot: TextClause[];
  /** The raw query, trimmed and lower-cased, for exact-match ranking. */
  normalized: string;
  /** The fields searched and their weights when the request chose them; absent: every searchable field. */
  fields?: SearchField[];
}
/** A searchable field a request searches, with its weight (in place of the schema's boost). */
export interface SearchField {
  field: string;
  boost: number;
}
export interface TextClause {
  tokens: string[];
  /** The clause's last token also matches as a prefix (search as you type). */
  prefix: boolean;
  /** Edits a one-token clause may differ by and still match (typo tolerance); absent or 0: none. */
  typos?: number;
  /** Other token sequences that match in its place (the index's synonyms), each as a phrase. */
  synonyms?: string[][];
  /**
   * The word also matches inside longer words of the index: CJK text has no spaces between words, so a run of
   * it is one token ("今日は天気") and a word of it ("天気") is found only within.
   */
  infix?: boolean;
}

export interface RangeBucketRequest {
  key?: string;
  from?: number;
  to?: number;
}
export interface FacetRequest {
  field: string;
  size: number;
  /**
   * Facet value search: count only the values that start with this text (ASCII letters in either case, every
   * other character exactly), still over the search's matches and disjunctive filters. Keyword facets only.
   */
  prefix?: string;
  /**
   * Typos the prefix may carry (1 or 2; absent: none), by the index's typo tolerance: count the values the
   * matcher of query/facet-prefix.ts accepts instead of those starting with the prefix.
   */
  typos?: number;
  ranges?: RangeBucketRequest[];
  stats?: boolean;
}

export interface SortClause {
  /** `_score` or a sortable field. */
  field: string;
  order: 'asc' | 'desc';
}

export interface HighlightRequest {
  fields: string[];
  pre_tag: string;
  post_tag: string;
  /** Approximate snippet length, in tokens. */
  snippet_tokens: number;
}

/** The position after the last hit of the previous page: its sort values and id. */
export interface SearchAfter {
  values: (Scalar | null)[];
  id: string;
}

/**
 * Distinct (group by): hits are grouped by a keyword field's value; a page holds `size` groups, ordered by their
 * best hit in the request's sort, each with its `limit` best hits (in that sort). Documents without the field form
 * one group. Totals count groups; facets still count documents. Paged by `from` only (no cursor).
 */
export interface DistinctRequest {
  field: string;
  limit: number;
}

/** How a hybrid search fuses its text and vector candidates (see src/query/hybrid.ts). */
export interface HybridOptions {
  /** `rrf`: sum of 1 / (rank_constant + rank); `weighted`: (1 - r) * normalised text score + r * vector score. */
  fusion: 'rrf' | 'weighted';
  /** r of the weighted fusion: 0 is text only, 1 vector only. */
  semanticRatio: number;
  rankConstant: number;
  /** How many candidates each side (text, vector) contributes before fusion. */
  candidates: number;
}

/**
 * A kNN search (`vector` in a POST search): the `k` documents nearest to `vector` in `field` among those the
 * request's filter matches (the filter is applied inside the search, so k hits come back when k match). With a
 * text query too it is a hybrid search and `hybrid` says how the two rankings are fused.
 */
export interface VectorQuery {
  field: string;
  /** Empty until the service fills it in when `embed` is set. */
  vector: number[];
  /** The text (q) whose embedding is the query vector: a hybrid search sent without a vector. */
  embed?: string;
  k: number;
  hybrid: HybridOptions | null;
}

/**
 * What an engine is asked for a kNN search: the `k` nearest documents to `vector` in `field` that the `filter`
 * matches (a pre-filter: k hits whenever k documents match), best first. Scores use the field's similarity, with
 * Elasticsearch's formulas on every engine: cosine (1 + cos) / 2, dot_product (1 + dot) / 2, euclidean
 * 1 / (1 + d^2). Ties are broken by id, ascending.
 */
export interface KnnRequest {
  field: string;
  vector: number[];
  k: number;
  filter: Filter | null;
}
/** One document a kNN search found: its id and score. */
export interface KnnCandidate {
  id: string;
  score: number;
}

export interface SearchRequest {
  text: TextQuery | null;
  filter: Filter | null;
  facets: FacetRequest[];
  /** Never empty: the parser appends nothing, engines add the id tie-break themselves. */
  sort: SortClause[];
  size: number;
  /** 0-based offset; 0 when a cursor is used. */
  from: number;
  after: SearchAfter | null;
  highlight: HighlightRequest | null;
  /** Fields to return in `document`. */
  fields: string[];
  /**
   * How far the total is counted: `true` exactly; a number N exactly up to N, and past it the total is N with
   * `total_relation: "gte"` (what Elasticsearch's track_total_hits does), so a broad query stops counting early.
   */
  trackTotal: true | number;
  /** Group hits by this keyword field (absent: no grouping). */
  distinct?: DistinctRequest;
  /**
   * A kNN or hybrid search (POST only). Engines never see it in `search`: the query layer (vector-search.ts)
   * asks them for candidates (`Engine.knn`, and a text search for hybrid), then ranks, pages and facets.
   */
  vector?: VectorQuery;
}

export interface Hit {
  id: string;
  score: number | null;
  document: Record<string, unknown>;
  highlights?: Record<string, string[]>;
  /** Sort values of this hit, in request sort order, for the next cursor. */
  sortValues: (Scalar | null)[];
}

export interface FacetBucket {
  value: Scalar;
  count: number;
}
export interface RangeBucket {
  key: string;
  from?: number;
  to?: number;
  count: number;
}
export interface FacetStats {
  min: number | null;
  max: number | null;
  avg: number | null;
  sum: number | null;
  count: number;
}
export interface FacetResult {
  buckets?: FacetBucket[];
  ranges?: RangeBucket[];
  stats?: FacetStats;
}

export interface SearchResult {
  hits: Hit[];
  total: number;
  total_relation: 'eq' | 'gte';
  facets: Record<string, FacetResult>;
  partial: boolean;
  /** When nothing matched and a corrected query would: that query ("did you mean"). */
  did_you_mean?: string;
}

export interface SuggestRequest {
  prefix: string;
  size: number;
}
export interface Suggestion {
  text: string;
  id: string;
}
