import { vectorFields, type IndexSchema } from '../../schema/types.js';

/**
 * Physical layout of one index: a documents table `d_<n>` with one typed column per field (the id in `id`, the
 * original JSON in `src`) and an external-content FTS5 table `f_<n>` over the searchable columns, kept in sync by
 * triggers so a write is one statement and atomic with its text index.
 */
export const docsTable = (tid: number) => `d_${tid}`;
export const ftsTable = (tid: number) => `f_${tid}`;
/** Narrow table of each document's precomputed popularity score, so ranking never reads the wide rows. */
export const rankTable = (tid: number) => `r_${tid}`;
/** The rank table by popularity: the order in which broad queries read their candidates (popular-first.ts). */
export const rankIndex = (tid: number) => `r_${tid}_b`;
/**
 * The documents table's unique index on id. Declared on its own (not as a column constraint, whose automatic
 * index cannot be dropped) so a load into an empty version can set it aside and build it once at the end:
 * maintained row by row, its random-order inserts were most of a 1M-document load's growing cost. Tables made
 * before it keep the column's UNIQUE constraint.
 */
export const idIndex = (tid: number) => `i_${tid}`;
export const idIndexSql = (tid: number) => `CREATE UNIQUE INDEX ${idIndex(tid)} ON ${docsTable(tid)}(id)`;

/**
 * The column of a field. A path into an object (`author.first_name`) gets a name of its own kind, `o_` with "."
 * written `_0` and "_" written `_1` (`o_author_0first_1name`): a plain identifier (FTS5 column filters accept no
 * quoting of other characters) that no other path and no top-level field (`c_...`) can share.
 */
export function column(schema: IndexSchema, field: string): string {
  if (field === schema.id_field) return 'id';
  if (!field.includes('.')) return `c_${field}`;
  return `o_${field.replace(/_/g, '_1').replace(/\./g, '_0')}`;
}

/** The column name without its prefix, as B-tree index names have always carried it. */
const indexSuffix = (schema: IndexSchema, field: string) =>
  field.includes('.') ? column(schema, field) : field;

/**
 * A list field's column. Keyword, number, date and boolean lists hold a JSON array of their distinct typed values
 * (dates as epoch ms, booleans 0/1), read with json_each by filters, facets and sorts. A text list holds its items
 * joined by ITEM_SEPARATOR, the text the FTS5 index reads.
 */
export const isList = (schema: IndexSchema, field: string): boolean => schema.fields[field]?.array === true;

/**
 * Between the items of a text list: a character the text index keeps as a token of its own (tokenchars) and the
 * query parser never emits (it keeps letters and digits), so a phrase cannot match across two items.
 */
export const ITEM_SEPARATOR = '\u2063';
const hasTextList = (schema: IndexSchema) =>
  Object.values(schema.fields).some((f) => f.array && f.searchable);

const SQL_TYPE: Record<string, string> = {
  text: 'TEXT',
  keyword: 'TEXT',
  integer: 'INTEGER',
  float: 'REAL',
  date: 'INTEGER',
  boolean: 'INTEGER',
} as const;

export function dataColumns(schema: IndexSchema): { field: string; col: string; sqlType: string }[] {
  return (
    Object.entries(schema.fields)
      // A vector lives in the vector table (createVectorSql), read from the document's JSON by its triggers.
      .filter(([name, spec]) => name !== schema.id_field && spec.type !== 'vector')
      .map(([name, spec]) => ({
        field: name,
        col: column(schema, name),
        sqlType: spec.array ? 'TEXT' : SQL_TYPE[spec.type]!,
      }))
  );
}

export function searchableFields(schema: IndexSchema): string[] {
  return Object.entries(schema.fields)
    .filter(([, f]) => f.searchable)
    .map(([n]) => n);
}

// unicode61 splits "@scope/pkg-name" into scope, pkg, name; the prefix indexes make search-as-you-type cheap.
export const TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'";
/** The english analyzer: the same words, each reduced to its Porter stem (in the index and in queries). */
const TOKENIZE_ENGLISH = "tokenize = 'porter unicode61 remove_diacritics 2'";
/** Prefix lengths (characters) FTS5 keeps an index for; other prefixes merge every matching term's postings. */
export const PREFIX_INDEXES = [2, 3];
const tokenizer = (schema: IndexSchema) => {
  const base = schema.analyzer === 'english' ? TOKENIZE_ENGLISH : TOKENIZE;
  const words = hasTextList(schema) ? `${base.slice(0, -1)} tokenchars ''${ITEM_SEPARATOR}''` + "'" : base;
  return `${words}, prefix = '${PREFIX_INDEXES.join(' ')}'`;
};

/** Whether the text index holds the words as Sift's own tokenizer produces them (no stems). */
export const wordsAsTokenized = (schema: IndexSchema) => (schema.analyzer ?? 'standard') === 'standard';

export function createFtsSql(tid: number, schema: IndexSchema): string[] {
  const d = docsTable(tid);
  const f = ftsTable(tid);
  const cols = searchableFields(schema).map((n) => column(schema, n));
  const list = cols.join(', ');
  const newVals = cols.map((c) => `new.${c}`).join(', ');
  const oldVals = cols.map((c) => `old.${c}`).join(', ');
  return [
    `CREATE VIRTUAL TABLE ${f} USING fts5(${list}, content='${d}', content_rowid='rowid', ${tokenizer(schema)})`,
    `CREATE TRIGGER ${d}_ai AFTER INSERT ON ${d} BEGIN INSERT INTO ${f}(rowid, ${list}) VALUES (new.rowid, ${newVals}); END`,
    `CREATE TRIGGER ${d}_ad AFTER DELETE ON ${d} BEGIN INSERT INTO ${f}(${f}, rowid, ${list}) VALUES ('delete', old.rowid, ${oldVals}); END`,
    `CREATE TRIGGER ${d}_au AFTER UPDATE ON ${d} BEGIN
       INSERT INTO ${f}(${f}, rowid, ${list}) VALUES ('delete', old.rowid, ${oldVals});
       INSERT INTO ${f}(rowid, ${list}) VALUES (new.rowid, ${newVals});
     END`,
  ];
}

export function dropFtsSql(tid: number): string[] {
  const d = docsTable(tid);
  return [
    `DROP TRIGGER IF EXISTS ${d}_ai`,
    `DROP TRIGGER IF EXISTS ${d}_ad`,
    `DROP TRIGGER IF EXISTS ${d}_au`,
    `DROP TABLE IF EXISTS ${ftsTable(tid)}`,
  ];
}

export function createIndexSql(tid: number, schema: IndexSchema): string[] {
  const d = docsTable(tid);
  const cols = dataColumns(schema).map((c) => `${c.col} ${c.sqlType}`);
  return [
    `CREATE TABLE ${d} (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, src TEXT NOT NULL${cols.length ? ', ' + cols.join(', ') : ''})`,
    idIndexSql(tid),
    ...secondaryIndexSql(tid, schema),
    ...createFtsSql(tid, schema),
    ...createRankSql(tid, schema),
    ...createFacetSql(tid, schema),
    ...createListSql(tid, schema),
    ...createVectorSql(tid, schema),
  ];
}

/**
 * The triggers that keep a side table (rank, facet, list) in step with the documents table `d`, in the document's
 * own transaction: `insert` writes the rows of `new`; an update replaces them, a delete removes them. Named
 * `<d>_<tag>ai|au|ad`, which databases already made rely on. No OR REPLACE in `insert`: inside a trigger the
 * outer statement's conflict policy would override it.
 */
function mirrorTriggers(d: string, tag: string, table: string, insert: string): string[] {
  return [
    `CREATE TRIGGER ${d}_${tag}ai AFTER INSERT ON ${d} BEGIN ${insert}; END`,
    `CREATE TRIGGER ${d}_${tag}au AFTER UPDATE ON ${d} BEGIN
       DELETE FROM ${table} WHERE rowid = old.rowid;
       ${insert};
     END`,
    `CREATE TRIGGER ${d}_${tag}ad AFTER DELETE ON ${d} BEGIN DELETE FROM ${table} WHERE rowid = old.rowid; END`,
  ];
}

/** Drops a side table and the triggers mirrorTriggers made for it. */
function dropMirror(tid: number, tag: string, table: string): string[] {
  const d = docsTable(tid);
  return [
    `DROP TRIGGER IF EXISTS ${d}_${tag}ai`,
    `DROP TRIGGER IF EXISTS ${d}_${tag}au`,
    `DROP TRIGGER IF EXISTS ${d}_${tag}ad`,
    `DROP TABLE IF EXISTS ${table}`,
  ];
}

/**
 * The popularity signal `weight * ln(1 + value)`, computed once per write instead of once per match per query,
 * in a table of two numbers per row that stays in cache. Triggers keep it atomic with the document write.
 */
export function createRankSql(tid: number, schema: IndexSchema): string[] {
  const pop = schema.ranking.popularity;
  if (!pop) return [];
  const d = docsTable(tid);
  const r = rankTable(tid);
  const expr = (row: string) =>
    `${pop.weight} * ln(1 + max(coalesce(${row}.${column(schema, pop.field)}, 0), 0))`;
  return [
    `CREATE TABLE ${r} (rowid INTEGER PRIMARY KEY, b REAL NOT NULL)`,
    `INSERT INTO ${r} (rowid, b) SELECT rowid, ${expr(d)} FROM ${d}`,
    `CREATE INDEX IF NOT EXISTS ${rankIndex(tid)} ON ${r}(b)`,
    ...mirrorTriggers(d, 'r', r, `INSERT INTO ${r} (rowid, b) VALUES (new.rowid, ${expr('new')})`),
  ];
}

export function dropRankSql(tid: number): string[] {
  return dropMirror(tid, 'r', rankTable(tid));
}

/**
 * The facet table of a version: the rowid and the typed value of every faceted field, nothing else. Counting
 * facets over a broad match reads these few bytes per matching row instead of the wide document rows (which hold
 * the whole JSON source). Triggers keep it in the same transaction as the document write, like the rank table.
 */
export const facetTable = (tid: number) => `x_${tid}`;

export function facetFields(schema: IndexSchema): string[] {
  return Object.entries(schema.fields)
    .filter(([, spec]) => spec.facet)
    .map(([name]) => name);
}

/** The columns the facet table holds, in order: a change means the table must be built again. */
export const facetColumns = (schema: IndexSchema): string[] =>
  facetFields(schema).map((f) => column(schema, f));

export function createFacetSql(tid: number, schema: IndexSchema): string[] {
  const cols = facetColumns(schema);
  if (!cols.length) return [];
  const d = docsTable(tid);
  const x = facetTable(tid);
  const list = cols.join(', ');
  const newVals = cols.map((c) => `new.${c}`).join(', ');
  return [
    // No declared types: each value keeps the storage class the documents table gave it.
    `CREATE TABLE ${x} (rowid INTEGER PRIMARY KEY, ${list})`,
    `INSERT INTO ${x} (rowid, ${list}) SELECT rowid, ${list} FROM ${d}`,
    ...mirrorTriggers(d, 'x', x, `INSERT INTO ${x} (rowid, ${list}) VALUES (new.rowid, ${newVals})`),
    ...createFacetLogSql(tid),
  ];
}

/**
 * The facet table's change log: the rowid of every facet row written or deleted, in commit order. A reader that
 * keeps the facet columns in memory (facet-columns.ts) reads the rows changed since it last looked instead of
 * the whole table. Only the last FACET_LOG_KEEP entries are kept, trimmed every 1,024 writes; a reader further
 * behind reads the table again. The table is made with the facet table, after its first fill (a rebuild changes
 * the schema, which readers watch), and dropped with it.
 */
export const facetLogTable = (tid: number) => `xl_${tid}`;
export const FACET_LOG_KEEP = 65_536;

export function createFacetLogSql(tid: number): string[] {
  const x = facetTable(tid);
  const xl = facetLogTable(tid);
  // The trim's bound is 0 except on every 1,024th entry, so a write costs one insert and an empty range. No
  // AUTOINCREMENT (a write of its counter per entry): the trim never deletes the newest entry, so a number a
  // reader has seen is never handed out again (one rolled back was never seen).
  const note = (row: string) =>
    `INSERT INTO ${xl} (rid) VALUES (${row}.rowid); ` +
    `DELETE FROM ${xl} WHERE seq <= CASE WHEN last_insert_rowid() % 1024 = 0 ` +
    `THEN last_insert_rowid() - ${FACET_LOG_KEEP} ELSE 0 END;`;
  return [
    `CREATE TABLE IF NOT EXISTS ${xl} (seq INTEGER PRIMARY KEY, rid INTEGER NOT NULL)`,
    `CREATE TRIGGER IF NOT EXISTS ${x}_lai AFTER INSERT ON ${x} BEGIN ${note('new')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${x}_lau AFTER UPDATE ON ${x} BEGIN ${note('old')} ${note('new')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${x}_lad AFTER DELETE ON ${x} BEGIN ${note('old')} END`,
  ];
}

export function dropFacetSql(tid: number): string[] {
  // The log's triggers go with the facet table.
  return [...dropMirror(tid, 'x', facetTable(tid)), `DROP TABLE IF EXISTS ${facetLogTable(tid)}`];
}

/**
 * The list table of a version: one row (document rowid, field, value) per distinct value of every keyword,
 * number, date and boolean list, keyed by document and indexed by (field, value). Filters look a value up
 * through the index instead of reading every row's JSON, facets without a text match group the index, and a sort
 * reads a document's smallest or largest value by its key. Triggers keep it in the same transaction as the
 * document write, like the facet table, from the list columns (see `isList`).
 */
export const listTable = (tid: number) => `a_${tid}`;

/** The fields the list table holds. Text lists are searched through the text index instead. */
export const listFields = (schema: IndexSchema): string[] =>
  Object.entries(schema.fields)
    .filter(([, spec]) => spec.array && spec.type !== 'text')
    .map(([name]) => name);

export function createListSql(tid: number, schema: IndexSchema): string[] {
  const fields = listFields(schema);
  if (!fields.length) return [];
  const d = docsTable(tid);
  const a = listTable(tid);
  // Field names are checked identifiers ([a-z0-9_.]), safe to write as SQL string literals.
  // `from`: the documents table when filling the table, nothing in a trigger (the row is `new`).
  const rows = (row: string, from = '') =>
    fields
      .map((f) => `SELECT ${row}.rowid, '${f}', value FROM ${from}json_each(${row}.${column(schema, f)})`)
      .join(' UNION ALL ');
  return [
    `CREATE TABLE ${a} (rowid INTEGER NOT NULL, f TEXT NOT NULL, v, PRIMARY KEY (rowid, f, v)) WITHOUT ROWID`,
    `INSERT INTO ${a} (rowid, f, v) ${rows('d', `${d} d, `)}`,
    `CREATE INDEX ${a}_v ON ${a}(f, v)`,
    ...mirrorTriggers(d, 'a', a, `INSERT INTO ${a} (rowid, f, v) ${rows('new')}`),
  ];
}

export function dropListSql(tid: number): string[] {
  return dropMirror(tid, 'a', listTable(tid));
}

/**
 * The vector table of a version: per document its rowid, id and, for each vector field, the vector as a float32
 * BLOB (`e_<field>`, 4 bytes a dimension), plus its length for dot_product fields (`n_<field>`: the score needs the
 * true dot product, which sqlite-vec computes only as a cosine). A kNN search scans this narrow table over the rows
 * the filter keeps, never the wide documents. The vectors are parsed from the document's JSON by sqlite-vec's
 * vec_f32 in the triggers, so every connection that writes documents must have the extension loaded.
 */
export const vectorTable = (tid: number) => `v_${tid}`;
export const vectorColumn = (field: string) => `e_${field}`;
export const normColumn = (field: string) => `n_${field}`;

/** The columns of the vector table after rowid and id, in order: a change means the table must be built again. */
export const vectorColumns = (schema: IndexSchema): string[] =>
  vectorFields(schema).flatMap(([name, spec]) =>
    spec.similarity === 'dot_product' ? [vectorColumn(name), normColumn(name)] : [vectorColumn(name)],
  );

export function createVectorSql(tid: number, schema: IndexSchema): string[] {
  const fields = vectorFields(schema);
  if (!fields.length) return [];
  const d = docsTable(tid);
  const v = vectorTable(tid);
  // Vector fields are top-level simple names, safe in a JSON path; a document without one has NULL there.
  const values = (row: string) =>
    fields.flatMap(([name, spec]) => {
      const when = (value: string) =>
        `CASE WHEN json_type(${row}.src, '$.${name}') = 'array' THEN ${value} END`;
      const blob = `vec_f32(json_extract(${row}.src, '$.${name}'))`;
      if (spec.similarity !== 'dot_product') return [when(blob)];
      // Its length: the distance from the origin (a float32 vector of zeros).
      return [when(blob), when(`vec_distance_l2(${blob}, zeroblob(${spec.dimensions * 4}))`)];
    });
  const cols = ['rowid', 'id', ...vectorColumns(schema)].join(', ');
  const row = (r: string) => [`${r}.rowid`, `${r}.id`, ...values(r)].join(', ');
  return [
    `CREATE TABLE ${v} (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, ${vectorColumns(schema)
      .map((c) => `${c} ${c.startsWith('e_') ? 'BLOB' : 'REAL'}`)
      .join(', ')})`,
    `INSERT INTO ${v} (${cols}) SELECT ${row('d')} FROM ${d} d`,
    ...mirrorTriggers(d, 'v', v, `INSERT INTO ${v} (${cols}) VALUES (${row('new')})`),
  ];
}

export function dropVectorSql(tid: number): string[] {
  return dropMirror(tid, 'v', vectorTable(tid));
}

/** B-tree indexes for the columns that are filtered, faceted or sorted on. */
export function secondaryIndexSql(tid: number, schema: IndexSchema): string[] {
  const d = docsTable(tid);
  const out: string[] = [];
  for (const [name, spec] of Object.entries(schema.fields)) {
    // A list's column is JSON, read with json_each: a B-tree over the whole text would serve nothing.
    if (name === schema.id_field || spec.array) continue;
    if (spec.filterable || spec.sortable || spec.facet)
      out.push(
        `CREATE INDEX IF NOT EXISTS ${d}_${indexSuffix(schema, name)} ON ${d}(${column(schema, name)})`,
      );
  }
  // Exact-match ranking looks the query up by lower-cased value before scoring.
  for (const field of schema.ranking.exact_match?.fields ?? []) {
    out.push(
      `CREATE INDEX IF NOT EXISTS ${d}_lower_${indexSuffix(schema, field)} ON ${d}(lower(${column(schema, field)}))`,
    );
  }
  return out;
}

/**
 * The change log of a version: the id of every document written or deleted since the log was created, one row per
 * id, the latest change last (AUTOINCREMENT so a sequence number is never reused). A reindex replays it onto the
 * version it is building, and a rollback onto the version it returns to. Triggers make it atomic with the write
 * and catch writers in every process sharing the database.
 */
export const logTable = (tid: number) => `l_${tid}`;

export function createLogSql(tid: number): string[] {
  const d = docsTable(tid);
  const l = logTable(tid);
  // Delete then insert: plain statements, so the conflict policy of the triggering statement cannot interfere.
  const note = (row: string) =>
    `DELETE FROM ${l} WHERE id = ${row}.id; INSERT INTO ${l} (id) VALUES (${row}.id);`;
  return [
    `CREATE TABLE IF NOT EXISTS ${l} (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE)`,
    `CREATE TRIGGER IF NOT EXISTS ${d}_lai AFTER INSERT ON ${d} BEGIN ${note('new')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${d}_lau AFTER UPDATE ON ${d} BEGIN ${note('old')} ${note('new')} END`,
    `CREATE TRIGGER IF NOT EXISTS ${d}_lad AFTER DELETE ON ${d} BEGIN ${note('old')} END`,
  ];
}

export function dropLogSql(tid: number): string[] {
  const d = docsTable(tid);
  return [
    `DROP TRIGGER IF EXISTS ${d}_lai`,
    `DROP TRIGGER IF EXISTS ${d}_lau`,
    `DROP TRIGGER IF EXISTS ${d}_lad`,
    `DROP TABLE IF EXISTS ${logTable(tid)}`,
  ];
}

/** Everything of one physical version: change log, text index, rank and facet tables, documents (with its B-tree indexes). */
export function dropVersionSql(tid: number): string[] {
  return [
    ...dropLogSql(tid),
    ...dropFtsSql(tid),
    ...dropRankSql(tid),
    ...dropFacetSql(tid),
    ...dropListSql(tid),
    ...dropVectorSql(tid),
    `DROP TABLE IF EXISTS ${docsTable(tid)}`,
  ];
}
