import type { Engine, ExportPage, ExportPageRequest } from './engine.js';
import { buildSearchRequest, type QueryLimits } from '../query/request.js';
import type { SearchRequest } from '../query/types.js';
import { checkId, type Document } from '../schema/document.js';
import type { IndexSchema } from '../schema/types.js';

/** Documents read from the engine per page of an export: memory stays bounded by this, whatever the index. */
export const EXPORT_PAGE = 500;

export interface ExportOptions {
  /** A filter (expression or JSON tree): only its matches are exported. */
  filter?: string | Record<string, unknown>;
  /**
   * Resume after this document id: the export is in id order, so the id of the last document received is the
   * cursor. It is plain, not signed: it reveals nothing and any id is a valid place to resume from.
   */
  after?: string;
  /** Called once, before the first document, with the number of documents the filter matches (not on a resume). */
  onTotal?: (total: number) => void;
}

/**
 * A page through `search` sorted by the id field, for engines without `exportPage`: the same id order, through
 * the engine's keyset pagination. Every declared field is read, returned or not.
 */
function searchPage(engine: Engine, index: string, schema: IndexSchema, base: SearchRequest) {
  const fields = Object.keys(schema.fields);
  return async (req: ExportPageRequest): Promise<ExportPage> => {
    const result = await engine.search(index, {
      ...base,
      size: req.size,
      from: 0,
      after: req.after === null ? null : { values: [req.after], id: req.after },
      fields,
      // The total is counted only when asked for; other pages count nothing they do not return.
      trackTotal: req.count ? true : 1,
    });
    return {
      documents: result.hits.map((h) => ({ id: h.id, document: h.document })),
      total: req.count ? result.total : null,
    };
  };
}

/**
 * Every document of an index (or a filter's matches), in id order, exactly as stored, page by page (`after` the
 * last id), so a page is only read when the consumer has taken the previous one and memory stays bounded.
 */
export async function* exportDocuments(
  engine: Engine,
  index: string,
  schema: IndexSchema,
  limits: QueryLimits,
  opts: ExportOptions = {},
): AsyncGenerator<{ id: string; document: Document }> {
  // The filter is checked (and normalized) as a search's would be.
  const { request } = buildSearchRequest(
    { ...(opts.filter !== undefined ? { filter: opts.filter } : {}), sort: schema.id_field, size: 0 },
    schema,
    limits,
  );
  const page = engine.exportPage
    ? (req: ExportPageRequest) => engine.exportPage!(index, req)
    : searchPage(engine, index, schema, request);
  let after = opts.after === undefined ? null : checkId(opts.after);
  const count = opts.onTotal !== undefined && opts.after === undefined;
  for (let first = true; ; first = false) {
    const result = await page({ filter: request.filter, after, size: EXPORT_PAGE, count: first && count });
    if (first && count) opts.onTotal!(result.total ?? 0);
    for (const item of result.documents) yield item;
    if (result.documents.length < EXPORT_PAGE) return;
    after = result.documents[result.documents.length - 1]!.id;
  }
}
