import { Type, type TSchema } from '@sinclair/typebox';
import { EXPIRY_PATTERN } from '../auth/expiry.js';
import { STOP_WORD_LISTS } from '../schema/stop-words.js';
import { MAX_ID_LENGTH } from '../schema/document.js';
import { MAX_TRACK_TOTAL, TRACK_TOTAL_PATTERN } from '../query/request.js';
import { MAX_SEARCH_WEIGHT, SEARCH_FIELD_ENTRY, SEARCH_FIELDS_PATTERN } from '../query/search-fields.js';
import { ANALYZERS, FIELD_TYPES, MAX_DIMENSIONS, SIMILARITIES } from '../schema/types.js';
import { FIELD_NAME, FIELD_NAME_RULE, MAX_FIELDS, SIMPLE_NAME } from '../schema/validate.js';
import { INDEX_NAME } from '../schema/index-name.js';
import { TIME_PATTERN, WINDOW_PATTERN } from '../analytics/range.js';

/**
 * Schemas shared by several routes. They are the request validation and, through @fastify/swagger, the OpenAPI
 * document, so each pattern is taken from the code that enforces it rather than written out again.
 */

/** No C0 control character and no DEL: the raw-URL check refuses them anywhere in the path or query string. */
export const URL_TEXT = '^[^\\u0000-\\u001f\\u007f]*$';

/** A string carried in a URL (query parameter or path segment). */
export const UrlText = (options: { description?: string; minLength?: number; maxLength?: number } = {}) =>
  Type.String({ pattern: URL_TEXT, ...options });

export const IndexName = (
  description = 'Index name: 1-64 of a-z, 0-9, "-", "_", starting with a letter or digit',
) => Type.String({ pattern: INDEX_NAME.source, description });

export const IndexParams = Type.Object({ index: IndexName() }, { additionalProperties: false });

const DOCUMENT_ID = `^[^\\u0000-\\u001f\\u007f]{1,${MAX_ID_LENGTH}}$`;

/** A document id in a path: 1-512 characters; the path refuses every control character. */
export const DocumentId = Type.String({
  pattern: DOCUMENT_ID,
  description: `Document id: 1-${MAX_ID_LENGTH} characters without control characters`,
});

/**
 * A name people give (an API key's): no control characters, and something other than white space, since the name
 * is stored trimmed. The white space is spelled out as JavaScript's trim() knows it.
 */
const TRIMMED_SPACE =
  '\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const DISPLAY_NAME = `^[^\\u0000-\\u001f\\u007f]*[^\\u0000-\\u001f\\u007f${TRIMMED_SPACE}][^\\u0000-\\u001f\\u007f]*$`;
export const DisplayName = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: DISPLAY_NAME });

export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

const FieldOption = (description: string) => Type.Optional(Type.Boolean({ description }));

const FieldRef = Type.String({ pattern: FIELD_NAME.source });

const FieldSpec = Type.Object(
  {
    type: Type.Union(
      FIELD_TYPES.map((t) => Type.Literal(t)),
      { description: 'Field type' },
    ),
    searchable: FieldOption('Full-text searchable (text and keyword only); default true for text'),
    boost: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Relevance weight when searchable' }),
    ),
    filterable: FieldOption('Usable in filters; default true except for text'),
    facet: FieldOption('Usable as a facet (not text)'),
    sortable: FieldOption('Usable in sort (not text)'),
    returned: FieldOption('Returned in hits; default true'),
    required: FieldOption('Every document must carry it'),
    array: FieldOption(
      'Holds a list of values (not for searchable keywords); filters match any element, facets count each value, an ascending sort takes the smallest, a descending one the largest',
    ),
    dimensions: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_DIMENSIONS,
        description: 'Vector fields (required): how many numbers each vector holds',
      }),
    ),
    similarity: Type.Optional(
      Type.Union(
        SIMILARITIES.map((s) => Type.Literal(s)),
        {
          description:
            'Vector fields: how vectors are compared (default cosine); dot_product takes unit-length vectors only',
        },
      ),
    ),
    index: FieldOption(
      'Vector fields: ask for an approximate index (HNSW on the clusters; default true); the embedded engine always searches exactly',
    ),
    embedder: Type.Optional(
      Type.Object(
        {
          source: Type.Literal('rest'),
          url: Type.String({
            maxLength: 2048,
            description:
              'Base URL (http or https) of an OpenAI-compatible server: Sift posts to {url}/v1/embeddings',
          }),
          model: Type.String({ minLength: 1, maxLength: 256 }),
          fields: Type.Array(FieldRef, {
            minItems: 1,
            maxItems: 16,
            description: 'Text or keyword fields whose values are embedded',
          }),
          api_key_env: Type.Optional(
            Type.String({
              maxLength: 128,
              description:
                'Environment variable of the Sift process holding the API key (sent as a Bearer token)',
            }),
          ),
          batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 2048, description: 'Default 64' })),
          timeout_ms: Type.Optional(
            Type.Integer({ minimum: 100, maximum: 600_000, description: 'Per request; default 10000' }),
          ),
          retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Default 2' })),
        },
        {
          additionalProperties: false,
          description:
            'Vector fields: computes the vector of a document written without one, and of q in a hybrid search without a vector',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const WordSize = Type.Integer({ minimum: 1, maximum: 64 });
const SynonymEntry = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: URL_TEXT,
  description: 'A word or words',
});
/** The relevance settings (src/schema/settings.ts checks the rest: declared fields, list names, word form). */
const relevanceSettings = {
  typo_tolerance: Type.Optional(
    Type.Object(
      {
        enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
        min_word_size: Type.Optional(
          Type.Object(
            { one_typo: Type.Optional(WordSize), two_typos: Type.Optional(WordSize) },
            { additionalProperties: false, description: 'Word length for one typo (default 5) and two (9)' },
          ),
        ),
        disable_on_fields: Type.Optional(
          Type.Array(FieldRef, { description: 'Searchable fields matched only as typed' }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  stop_words: Type.Optional(
    Type.Object(
      {
        lists: Type.Optional(
          Type.Array(Type.Union(Object.keys(STOP_WORD_LISTS).map((l) => Type.Literal(l))), {
            description: 'Shipped lists',
          }),
        ),
        words: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: URL_TEXT }), { maxItems: 1000 }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  synonyms: Type.Optional(
    Type.Array(
      Type.Union([
        Type.Object(
          { words: Type.Array(SynonymEntry, { minItems: 2, maxItems: 32 }) },
          { additionalProperties: false, description: 'Multi-way: all mean the same' },
        ),
        Type.Object(
          { from: SynonymEntry, to: Type.Array(SynonymEntry, { minItems: 1, maxItems: 32 }) },
          { additionalProperties: false, description: 'One-way: from also finds to' },
        ),
      ]),
      { maxItems: 1000 },
    ),
  ),
};

/** PUT /api/indexes/{index}/settings: a key left out goes back to its default. */
export const RelevanceSettingsBody = Type.Object(relevanceSettings, {
  additionalProperties: false,
  description:
    'Relevance settings: {"typo_tolerance": {"enabled": true, "min_word_size": {"one_typo": 5, "two_typos": 9}, "disable_on_fields": []}, "stop_words": {"lists": ["english"], "words": []}}',
});

const CuratedId = Type.String({ pattern: DOCUMENT_ID, description: 'A document id' });
/** A curation rule (src/schema/curations.ts checks the rest: pins and hides that clash, the filter). */
export const CurationRuleSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 128, pattern: URL_TEXT, description: 'A label for people' }),
    ),
    query: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: URL_TEXT,
      description: 'Compared with the query lower-cased, trimmed, spaces collapsed',
    }),
    match: Type.Optional(
      Type.Union([Type.Literal('exact'), Type.Literal('contains')], {
        description: 'exact (default): the whole query; contains: a run of whole words in it',
      }),
    ),
    filter: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        pattern: URL_TEXT,
        description: "Applies only when the request's filter is this one or has it as an AND-ed part",
      }),
    ),
    pin: Type.Optional(
      Type.Array(
        Type.Object(
          { id: CuratedId, position: Type.Integer({ minimum: 1, maximum: 100, description: '1-based' }) },
          { additionalProperties: false },
        ),
        {
          maxItems: 100,
          description: 'Shown at these positions when they exist and the caller may see them',
        },
      ),
    ),
    hide: Type.Optional(Type.Array(CuratedId, { maxItems: 250, description: 'Never shown, never counted' })),
  },
  { additionalProperties: false },
);
/** GET/PUT /api/indexes/{index}/curations: the whole list, replaced at once. */
export const CurationsBody = Type.Array(CurationRuleSchema, {
  maxItems: 1000,
  description:
    'Curation rules: [{"query": "react", "match": "exact", "pin": [{"id": "react", "position": 1}], "hide": ["reakt"]}]',
});

/**
 * An index schema as PUT /api/indexes/{index} and reindex take it. The shape is checked here; the rules that
 * relate fields to each other (the id field is a declared keyword, a text field cannot be a facet...) are checked
 * by parseSchema, and both kinds of error are INVALID_SCHEMA (see INDEX_SCHEMA_BODY in the errors plugin).
 */
export const IndexSchemaBody = (description: string): TSchema =>
  Type.Object(
    {
      id_field: Type.Optional(
        Type.String({
          pattern: SIMPLE_NAME.source,
          description: 'Name of the id field (a keyword); default "id"',
        }),
      ),
      fields: Type.Object(
        {},
        {
          propertyNames: { pattern: FIELD_NAME.source },
          additionalProperties: FieldSpec,
          minProperties: 1,
          maxProperties: MAX_FIELDS,
          description:
            'Field name -> options; a dotted name (author.name) is a member of a nested object, of every element of an array of objects',
        },
      ),
      ranking: Type.Optional(
        Type.Object(
          {
            exact_match: Type.Optional(
              Type.Object(
                {
                  fields: Type.Array(FieldRef, { minItems: 1 }),
                  boost: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6 })),
                },
                { additionalProperties: false },
              ),
            ),
            popularity: Type.Optional(
              Type.Object(
                {
                  field: FieldRef,
                  weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
      ),
      suggest: Type.Optional(Type.Object({ field: FieldRef }, { additionalProperties: false })),
      analyzer: Type.Optional(
        Type.Union(
          ANALYZERS.map((a) => Type.Literal(a)),
          {
            description:
              'How searchable text is analysed: standard (default) or english (Porter stems: "running" finds "run"; the same stems on every engine); changing it rebuilds the text index',
          },
        ),
      ),
      ...relevanceSettings,
      curations: Type.Optional(CurationsBody),
    },
    { additionalProperties: false, description },
  );

export const SEARCH_FIELDS_TEXT =
  'Searchable fields to search and their weights, in place of the schema boosts: name^3,summary (default: every searchable field)';

/** search_fields as text (GET, or in a body): `name^3,summary`. */
export const SearchFieldsText = (description = SEARCH_FIELDS_TEXT) =>
  Type.String({ pattern: SEARCH_FIELDS_PATTERN, description });

/** search_fields in a POST body: the GET text, a list of the same entries, or a map of field -> weight. */
export const SearchFieldsBody = Type.Union(
  [
    SearchFieldsText(),
    Type.Array(Type.String({ pattern: `^ *${SEARCH_FIELD_ENTRY} *$` }), { maxItems: MAX_FIELDS }),
    Type.Object(
      {},
      {
        propertyNames: { pattern: FIELD_NAME.source },
        additionalProperties: Type.Number({ exclusiveMinimum: 0, maximum: MAX_SEARCH_WEIGHT }),
        description: 'Map of field -> weight',
      },
    ),
  ],
  { description: `${SEARCH_FIELDS_TEXT}; also ["name^3", "summary"] or {"name": 3, "summary": 1}` },
);

/** What each pattern above means, in words, for the message of a value that does not match it. */
export const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [URL_TEXT]: 'must not contain control characters',
  [DOCUMENT_ID]: `must be 1-${MAX_ID_LENGTH} characters without control characters`,
  [DISPLAY_NAME]: 'must hold something other than white space, and no control characters',
  [FIELD_NAME.source]: FIELD_NAME_RULE,
  [SIMPLE_NAME.source]: 'must match [a-z_][a-z0-9_]* and be at most 64 characters',
  [EXPIRY_PATTERN]: 'expected a duration like 8h, 30d or 2w, or an ISO-8601 date',
  [WINDOW_PATTERN]: 'expected a duration like 30m, 24h, 7d or 2w',
  [TIME_PATTERN]: 'expected epoch milliseconds or an ISO-8601 date or time like 2026-06-01T12:00:00Z',
  [TRACK_TOTAL_PATTERN.source]: `must be true (an exact count) or an integer from 1 to ${MAX_TRACK_TOTAL}`,
  [SEARCH_FIELDS_PATTERN]: `must be field names, each optionally ^weight (above 0, at most ${MAX_SEARCH_WEIGHT}), separated by commas`,
  [`^ *${SEARCH_FIELD_ENTRY} *$`]: `must be a field name, optionally ^weight (above 0, at most ${MAX_SEARCH_WEIGHT})`,
};
