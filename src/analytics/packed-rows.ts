import type { EventRecord, SearchRecord } from './types.js';

/**
 * A flush's rows in the shape that crosses to the analytics writer thread cheaply. postMessage clones what it is
 * given: an array of row objects clones every object and every string of every row, and a flush of cache hits
 * repeats the same few index names, queries, filter fields and principals thousands of times. Packed, the
 * numbers are one Float64Array per table (copied as bytes) and every string is a 32-bit reference into one table
 * of distinct strings, so a second of hits clones a few hundred strings instead of tens of thousands.
 */
export interface PackedRows {
  /** The distinct strings of the batch; the refs index into it. */
  strings: string[];
  /** Per search, SEARCH_NUMBERS values: at, hits, latencyMs. */
  searchNumbers: Float64Array;
  /** Per search, SEARCH_REFS values: index, query, filter fields (comma-joined), principal. */
  searchRefs: Uint32Array;
  /** Per event, EVENT_NUMBERS values: at, position. */
  eventNumbers: Float64Array;
  /** Per event, EVENT_REFS values: type, index, query, doc id, principal. */
  eventRefs: Uint32Array;
}

export const SEARCH_NUMBERS = 3;
export const SEARCH_REFS = 4;
export const EVENT_NUMBERS = 2;
export const EVENT_REFS = 5;

/** Filter fields as stored: comma-joined. Memoized by array, as the recorder's memo hands out one array per input. */
const joined = new WeakMap<readonly string[], string>();
function joinFields(fields: readonly string[]): string {
  if (fields.length === 0) return '';
  let s = joined.get(fields);
  if (s === undefined) {
    s = fields.join(',');
    joined.set(fields, s);
  }
  return s;
}

/** Packs a flush's rows (see PackedRows). */
export function packRows(searches: readonly SearchRecord[], events: readonly EventRecord[]): PackedRows {
  const strings: string[] = [];
  const refs = new Map<string, number>();
  const ref = (s: string): number => {
    let r = refs.get(s);
    if (r === undefined) {
      r = strings.length;
      strings.push(s);
      refs.set(s, r);
    }
    return r;
  };
  const searchNumbers = new Float64Array(searches.length * SEARCH_NUMBERS);
  const searchRefs = new Uint32Array(searches.length * SEARCH_REFS);
  for (let i = 0; i < searches.length; i++) {
    const s = searches[i]!;
    const n = i * SEARCH_NUMBERS;
    searchNumbers[n] = s.at;
    searchNumbers[n + 1] = s.hits;
    searchNumbers[n + 2] = s.latencyMs;
    const r = i * SEARCH_REFS;
    searchRefs[r] = ref(s.index);
    searchRefs[r + 1] = ref(s.query);
    searchRefs[r + 2] = ref(joinFields(s.filterFields));
    searchRefs[r + 3] = ref(s.principal);
  }
  const eventNumbers = new Float64Array(events.length * EVENT_NUMBERS);
  const eventRefs = new Uint32Array(events.length * EVENT_REFS);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const n = i * EVENT_NUMBERS;
    eventNumbers[n] = e.at;
    eventNumbers[n + 1] = e.position;
    const r = i * EVENT_REFS;
    eventRefs[r] = ref(e.type);
    eventRefs[r + 1] = ref(e.index);
    eventRefs[r + 2] = ref(e.query);
    eventRefs[r + 3] = ref(e.docId);
    eventRefs[r + 4] = ref(e.principal);
  }
  return { strings, searchNumbers, searchRefs, eventNumbers, eventRefs };
}

export const packedSearchCount = (p: PackedRows): number => p.searchNumbers.length / SEARCH_NUMBERS;
export const packedEventCount = (p: PackedRows): number => p.eventNumbers.length / EVENT_NUMBERS;

/**
 * Writes packed search `i` as a stored row's column values (at, index_name, query, filter_fields, hits,
 * latency_ms, principal) into `params` from `at`.
 */
export function writeSearchColumns(p: PackedRows, i: number, params: unknown[], at: number): void {
  const n = i * SEARCH_NUMBERS;
  const r = i * SEARCH_REFS;
  params[at] = p.searchNumbers[n];
  params[at + 1] = p.strings[p.searchRefs[r]!];
  params[at + 2] = p.strings[p.searchRefs[r + 1]!];
  params[at + 3] = p.strings[p.searchRefs[r + 2]!];
  params[at + 4] = p.searchNumbers[n + 1];
  params[at + 5] = p.searchNumbers[n + 2];
  params[at + 6] = p.strings[p.searchRefs[r + 3]!];
}

/** Writes packed event `i` as (at, type, index_name, query, doc_id, position, principal) into `params`. */
export function writeEventColumns(p: PackedRows, i: number, params: unknown[], at: number): void {
  const n = i * EVENT_NUMBERS;
  const r = i * EVENT_REFS;
  params[at] = p.eventNumbers[n];
  params[at + 1] = p.strings[p.eventRefs[r]!];
  params[at + 2] = p.strings[p.eventRefs[r + 1]!];
  params[at + 3] = p.strings[p.eventRefs[r + 2]!];
  params[at + 4] = p.strings[p.eventRefs[r + 3]!];
  params[at + 5] = p.eventNumbers[n + 1];
  params[at + 6] = p.strings[p.eventRefs[r + 4]!];
}
