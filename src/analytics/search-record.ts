import { SearchAggregator } from './aggregate.js';
import { AnswerTotals } from './answer-total.js';
import { SearchInputMemo, type SearchInputFields } from './search-input.js';
import type { SearchBatch, SearchRecord } from './types.js';

/**
 * A search as the request path hands it over: references only, nothing computed. Normalizing the query, reading
 * the filter's fields and the answer's total happen at flush time, off the request.
 */
export interface RawSearch {
  at: number;
  index: string;
  /** The parsed query string or POST body the search came with, or a raw query string (`q=...&filter=...`). */
  input: unknown;
  /**
   * The serialized answer that was sent (its total is read at flush time), or the total itself where the caller
   * holds the answer as an object (each search of a multi-search).
   */
  answer: string | Buffer | number;
  latencyMs: number;
  /** A credential's stable id, or "anonymous": never a client address. */
  principal: string;
}

/**
 * Turns raw searches into stored records, remembering what repeats: the fields of an input (by its raw form) and
 * the total of an answer (by the answer object). On cache hits both repeat, and working them out again was most
 * of a hit's recording cost; the memos make a repeated search cost two lookups.
 */
export class SearchRecords {
  private readonly inputs = new SearchInputMemo();
  private readonly totals = new AnswerTotals();

  /**
   * A flush's searches as the rows a store keeps (folded per second, aggregate.ts). A raw query string (a
   * front-door hit's input) is first looked up in a map of this flush's own: a plain Map lookup by the string
   * costs about a tenth of the memo's (which builds a prefixed key and keeps recency), and a flush of hits
   * repeats a few hundred inputs thousands of times.
   */
  fold(raw: readonly RawSearch[]): SearchBatch {
    const rows = new SearchAggregator();
    const seen = new Map<string, SearchInputFields>();
    for (const s of raw) {
      let fields: SearchInputFields | undefined;
      if (typeof s.input === 'string') {
        fields = seen.get(s.input);
        if (fields === undefined) {
          fields = this.inputs.fieldsOf(s.input);
          seen.set(s.input, fields);
        }
      } else fields = this.inputs.fieldsOf(s.input);
      rows.add(s.at, s.index, fields, this.totals.of(s.answer), s.latencyMs, s.principal);
    }
    return rows.batch();
  }

  of(s: RawSearch): SearchRecord {
    const { query, filterFields } = this.inputs.fieldsOf(s.input);
    return {
      at: s.at,
      index: s.index,
      query,
      filterFields,
      hits: this.totals.of(s.answer),
      latencyMs: Math.round(s.latencyMs * 1000) / 1000,
      principal: s.principal,
    };
  }
}
