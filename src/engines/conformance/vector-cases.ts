/**
 * kNN and hybrid search behave the same on every engine: the exact nearest documents on small data (scores by
 * Elasticsearch's formulas, checked against values computed here by hand), the filter applied inside the kNN
 * search (k hits whenever k documents match), ties by id, facets over the kNN hits, paging by page and cursor,
 * hybrid fusion (RRF and weighted) from the engine's text and kNN candidates, and the vector table kept in step
 * with writes. Two-dimensional vectors, so every expected value can be worked out on paper.
 */
import { expect } from 'vitest';
import { caseIndex } from './case-index.js';
import type { EngineDriver } from './driver.js';

type Check = (title: string, fn: () => Promise<void>) => void;

const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    genre: { type: 'keyword', facet: true },
    cos: { type: 'vector', dimensions: 2, similarity: 'cosine' },
    dot: { type: 'vector', dimensions: 2, similarity: 'dot_product' },
    l2: { type: 'vector', dimensions: 2, similarity: 'euclidean', returned: true },
  },
};

// Unit vectors at 0°, ~37°, ~53°, 90° and 180° for cosine and dot_product; points on the axes for euclidean.
const DOCS: Record<string, unknown>[] = [
  { id: 'a', title: 'red fox', genre: 'x', cos: [1, 0], dot: [1, 0], l2: [0, 0] },
  { id: 'b', title: 'red dog', genre: 'y', cos: [0.8, 0.6], dot: [0.8, 0.6], l2: [1, 0] },
  { id: 'c', title: 'blue fox', genre: 'x', cos: [0.6, 0.8], dot: [0.6, 0.8], l2: [0, 2] },
  { id: 'd', title: 'green cat', genre: 'y', cos: [0, 1], dot: [0, 1], l2: [3, 0] },
  { id: 'e', title: 'red cat', genre: 'x', cos: [-1, 0], dot: [-1, 0], l2: [0, -4] },
  // No vectors: never a kNN hit, still a text match for "red".
  { id: 'f', title: 'red fox', genre: 'x' },
];

/** The exact scores, computed here from the formulas (what every engine must give, up to float32 rounding). */
function bruteForce(field: 'cos' | 'dot' | 'l2', q: number[]): [string, number][] {
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]!;
  const score = (v: number[]) => {
    if (field === 'cos') return (1 + dot(v, q) / Math.hypot(...v) / Math.hypot(...q)) / 2;
    if (field === 'dot') return (1 + dot(v, q)) / 2;
    return 1 / (1 + (v[0]! - q[0]!) ** 2 + (v[1]! - q[1]!) ** 2);
  };
  return DOCS.filter((d) => d[field])
    .map((d) => [d.id as string, score(d[field] as number[])] as [string, number])
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
}

export const VECTOR_CASES = [
  'vectors: exact kNN equals brute force for cosine, dot_product and euclidean',
  'vectors: the filter is applied inside the kNN search, ties by id',
  'vectors: total counts the k hits, facets count over them, size and page or cursor page through them',
  'vectors: hybrid search fuses by RRF and by weighted ratio, the same formula everywhere',
  'vectors: dimension errors and unknown vector fields are refused',
  'vectors: writes, patches and deletes keep kNN in step, and vectors round-trip',
] as const;

export function vectorCases(
  check: Check,
  svc: () => EngineDriver,
  skipped: (title: string) => boolean,
): void {
  const idx = 'conformance-vectors';
  const search = (input: Parameters<EngineDriver['search']>[1]) => svc().search(idx, input);
  const scored = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await search(input)).hits.map((h) => [h.id, h.score] as [string, number]);
  const near = (got: [string, number][], want: [string, number][]) => {
    expect(got.map(([id]) => id)).toEqual(want.map(([id]) => id));
    got.forEach(([, s], i) => expect(s).toBeCloseTo(want[i]![1], 5));
  };
  const [exact, filtered, paging, hybrid, errors, writes] = VECTOR_CASES;

  // An engine that skips every case has no index to load (it may not accept the schema yet).
  if (!VECTOR_CASES.every(skipped)) caseIndex(svc, idx, SCHEMA, DOCS);

  check(exact, async () => {
    for (const [field, q] of [
      ['cos', [1, 0]],
      ['cos', [2, 0]], // cosine ignores length
      ['cos', [0.28, 0.96]],
      ['dot', [1, 0]],
      ['dot', [0.6, 0.8]],
      ['l2', [0, 0]],
      ['l2', [1, 0]],
    ] as const) {
      near(await scored({ vector: [...q], vector_field: field, k: 10 }), bruteForce(field, [...q]));
    }
    // By hand: cosine to [1, 0] is 1, 0.8, 0.6, 0, -1, so (1 + cos) / 2; dot to [0.6, 0.8] is c 1, b 0.96, d 0.8,
    // a 0.6, e -0.6; euclidean to [1, 0]: d² is b 0, a 1, d 4, c 5, e 17, so 1 / (1 + d²).
    near(await scored({ vector: [1, 0], vector_field: 'cos', k: 5 }), [
      ['a', 1],
      ['b', 0.9],
      ['c', 0.8],
      ['d', 0.5],
      ['e', 0],
    ]);
    near(await scored({ vector: [0.6, 0.8], vector_field: 'dot', k: 5 }), [
      ['c', 1],
      ['b', 0.98],
      ['d', 0.9],
      ['a', 0.8],
      ['e', 0.2],
    ]);
    near(await scored({ vector: [1, 0], vector_field: 'l2', k: 5 }), [
      ['b', 1],
      ['a', 0.5],
      ['d', 0.2],
      ['c', 1 / 6],
      ['e', 1 / 18],
    ]);
    // k defaults to size; a vector field is returned only when the schema says so.
    const r = await search({ vector: [0, 0], vector_field: 'l2', size: 2 });
    expect(r.hits.map((h) => h.id)).toEqual(['a', 'b']);
    expect(r.hits[0]!.document).toEqual({ id: 'a', title: 'red fox', genre: 'x', l2: [0, 0] });
  });

  check(filtered, async () => {
    // Nearest to [0, 1] overall: d (1), c (0.9), b (0.8), then a and e (0.5 each). Among genre x: c, then the
    // tie a/e broken by id. A filter applied after a top-2 search would leave c alone.
    near(await scored({ vector: [0, 1], vector_field: 'cos', k: 2, filter: 'genre = "x"' }), [
      ['c', 0.9],
      ['a', 0.5],
    ]);
    near(await scored({ vector: [0, 1], vector_field: 'cos', k: 10, filter: 'genre = "x"' }), [
      ['c', 0.9],
      ['a', 0.5],
      ['e', 0.5],
    ]);
    expect(await scored({ vector: [0, 1], vector_field: 'cos', filter: 'genre = "z"' })).toEqual([]);
    // The filter tree form, and a negation.
    expect(
      (
        await scored({ vector: [0, 1], vector_field: 'cos', k: 2, filter: { not: { term: { genre: 'x' } } } })
      ).map(([id]) => id),
    ).toEqual(['d', 'b']);
  });

  check(paging, async () => {
    const first = await search({ vector: [1, 0], vector_field: 'cos', k: 3, facets: ['genre'] });
    expect([first.total, first.total_relation]).toEqual([3, 'eq']);
    // a, b, c: two of genre x, one of y (the whole index has four x).
    expect(first.facets.genre!.buckets).toEqual([
      { value: 'x', count: 2 },
      { value: 'y', count: 1 },
    ]);
    expect((await search({ vector: [1, 0], vector_field: 'cos', k: 10 })).total).toBe(5);

    const input = { vector: [1, 0], vector_field: 'cos', k: 5, size: 2 };
    const p1 = await search(input);
    expect(p1.hits.map((h) => h.id)).toEqual(['a', 'b']);
    const p2 = await search({ ...input, cursor: p1.next_cursor! });
    expect(p2.hits.map((h) => h.id)).toEqual(['c', 'd']);
    const p3 = await search({ ...input, cursor: p2.next_cursor! });
    expect(p3.hits.map((h) => h.id)).toEqual(['e']);
    expect(p3.next_cursor).toBeNull();
    expect((await search({ ...input, page: 2 })).hits.map((h) => h.id)).toEqual(['c', 'd']);
    // A cursor belongs to its vector.
    await expect(search({ ...input, vector: [0, 1], cursor: p1.next_cursor! })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
  });

  check(hybrid, async () => {
    // Text "red": a, b, e, f, equal scores, so ranks 1-4 in id order and each normalised text score 1.
    // kNN to [0, 1]: d 1, c 0.9, b 0.8, a 0.5, e 0.5 (ranks 1-5).
    const input = { q: 'red', vector: [0, 1], vector_field: 'cos' };
    // RRF (60): a 1/61 + 1/64, b 1/62 + 1/63, e 1/63 + 1/65, d 1/61, c 1/62, f 1/64.
    near(await scored({ ...input, hybrid: { fusion: 'rrf' } }), [
      ['a', 1 / 61 + 1 / 64],
      ['b', 1 / 62 + 1 / 63],
      ['e', 1 / 63 + 1 / 65],
      ['d', 1 / 61],
      ['c', 1 / 62],
      ['f', 1 / 64],
    ]);
    // Weighted 0.5 (the default): b 0.5 + 0.4, a and e 0.5 + 0.25, d 0.5 and f 0.5 (ties by id), c 0.45.
    near(await scored(input), [
      ['b', 0.9],
      ['a', 0.75],
      ['e', 0.75],
      ['d', 0.5],
      ['f', 0.5],
      ['c', 0.45],
    ]);
    // Ratio 1 is the kNN ranking, ratio 0 the text one; k keeps the best.
    expect((await scored({ ...input, k: 3, hybrid: { semantic_ratio: 1 } })).map(([id]) => id)).toEqual([
      'd',
      'c',
      'b',
    ]);
    expect((await scored({ ...input, hybrid: { semantic_ratio: 0 } })).map(([id]) => id)).toEqual([
      ...['a', 'b', 'e', 'f', 'c', 'd'],
    ]);
    // The filter applies to both sides: text a, e, f; kNN c 0.9, a 0.5, e 0.5.
    near(await scored({ ...input, filter: 'genre = "x"' }), [
      ['a', 0.75],
      ['e', 0.75],
      ['f', 0.5],
      ['c', 0.45],
    ]);
  });

  check(errors, async () => {
    const refused = await svc().importDocuments(idx, [
      { id: 'g', cos: [1, 0, 0] },
      { id: 'h', l2: [1, 'x'] },
      { id: 'i', dot: [1, 1] },
    ]);
    expect(refused.failed).toBe(3);
    for (const [i, field] of ['cos', 'l2', 'dot'].entries())
      expect(refused.items[i]!.error).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field } });
    await expect(search({ vector: [1, 0, 0], vector_field: 'cos' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      details: { field: 'vector' },
    });
    await expect(search({ vector: [1, 0] })).rejects.toMatchObject({
      code: 'INVALID_FIELD',
    });
    await expect(search({ vector: [1, 0], vector_field: 'genre' })).rejects.toMatchObject({
      code: 'INVALID_FIELD',
      details: { field: 'genre' },
    });
  });

  check(writes, async () => {
    const nearestTo = async (v: number[], k = 2) =>
      (await scored({ vector: v, vector_field: 'cos', k })).map(([id]) => id);
    await svc().putDocument(idx, 'g', { id: 'g', title: 'new', genre: 'y', cos: [0, -1] });
    expect(await nearestTo([0, -1], 1)).toEqual(['g']);
    // Now second only to d ([0, 1] itself), ahead of c.
    await svc().patchDocument(idx, 'g', { cos: [0.1, 0.99] });
    expect(await nearestTo([0, 1])).toEqual(['d', 'g']);
    // A patch that leaves the vector alone keeps it.
    await svc().patchDocument(idx, 'g', { title: 'newer' });
    expect(await nearestTo([0, 1])).toEqual(['d', 'g']);
    // Removing the vector takes the document out of kNN, not out of the index.
    await svc().patchDocument(idx, 'g', { cos: null });
    expect(await nearestTo([0, 1])).toEqual(['d', 'c']);
    await svc().deleteDocument(idx, 'g');
    expect((await search({ vector: [0, 1], vector_field: 'cos', k: 10 })).total).toBe(5);
    // Export gives every stored field, vectors included, as written.
    const exported = await svc().exportDocuments(idx);
    expect(exported.find((d) => d.id === 'b')).toEqual(DOCS[1]);
  });
}
