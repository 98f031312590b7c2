import { describe, expect, it } from 'vitest';
import type { BulkItem, BulkItemResult } from '../engine.js';
import { writeInPieces } from './load-pipeline.js';

const items = (ids: string[]): BulkItem[] => ids.map((id) => ({ id, document: { id } }));
async function* stream(...batches: BulkItem[][]) {
  for (const b of batches) yield b;
}

/** A cluster that answers each write when told to, and remembers the order writes were applied in. */
function cluster() {
  const pending: { ids: string[]; answer(): void; fail(e: Error): void }[] = [];
  const applied: string[] = [];
  let inFlight = 0;
  let most = 0;
  const write = (piece: BulkItem[]) =>
    new Promise<BulkItemResult[]>((resolve, reject) => {
      inFlight++;
      most = Math.max(most, inFlight);
      const ids = piece.map((i) => i.id);
      pending.push({
        ids,
        answer: () => {
          inFlight--;
          applied.push(...ids);
          resolve(ids.map((id) => ({ created: id !== 'old' })));
        },
        fail: (e) => {
          inFlight--;
          reject(e);
        },
      });
    });
  const prepared: string[][] = [];
  const prepare = async (piece: BulkItem[]) => {
    prepared.push(piece.map((i) => i.id));
    return () => write(piece);
  };
  return { prepare, prepared, pending, applied, most: () => most };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('writeInPieces', () => {
  it('keeps every slot busy across batch boundaries and reports batches in order', async () => {
    const c = cluster();
    const reports: number[] = [];
    const done = writeInPieces(
      stream(items(['a', 'b', 'c']), items(['d', 'e'])),
      c.prepare,
      { pieceDocs: 2, slots: 2 },
      (r) => reports.push(r.length),
    );
    await tick();
    // Pieces [a,b] and [c] of the first batch are in flight.
    expect(c.pending.map((p) => p.ids)).toEqual([['a', 'b'], ['c']]);
    c.pending[1]!.answer();
    await tick();
    // The second batch's first piece went out while [a,b] is still in the cluster; nothing is reported yet.
    expect(c.pending[2]!.ids).toEqual(['d', 'e']);
    // Each piece was prepared before it waited for its slot.
    expect(c.prepared).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(reports).toEqual([]);
    c.pending[2]!.answer();
    await tick();
    expect(reports).toEqual([]);
    c.pending[0]!.answer();
    await done;
    expect(reports).toEqual([3, 2]);
    expect(c.most()).toBe(2);
  });

  it('puts each result at its item', async () => {
    const c = cluster();
    const got: BulkItemResult[][] = [];
    const done = writeInPieces(
      stream(items(['new', 'old', 'x'])),
      c.prepare,
      { pieceDocs: 2, slots: 2 },
      (r) => got.push(r),
    );
    await tick();
    c.pending[1]!.answer();
    c.pending[0]!.answer();
    await done;
    expect(got).toEqual([[{ created: true }, { created: false }, { created: true }]]);
  });

  it('writes a repeated id after its earlier write, even across batches', async () => {
    const c = cluster();
    const done = writeInPieces(
      stream(items(['a', 'b']), items(['b', 'c'])),
      c.prepare,
      { pieceDocs: 2, slots: 2 },
      () => {},
    );
    await tick();
    // [b,c] writes b, which [a,b] in flight also writes: it waits.
    expect(c.pending).toHaveLength(1);
    c.pending[0]!.answer();
    await tick();
    expect(c.pending).toHaveLength(2);
    c.pending[1]!.answer();
    await done;
    expect(c.applied).toEqual(['a', 'b', 'b', 'c']);
  });

  it('stops at the first failed write and throws it once the writes in flight settled', async () => {
    const c = cluster();
    const reports: number[] = [];
    let settled = false;
    const done = writeInPieces(
      stream(items(['a', 'b']), items(['c', 'd']), items(['e'])),
      c.prepare,
      { pieceDocs: 1, slots: 2 },
      (r) => reports.push(r.length),
    );
    done.then(
      () => (settled = true),
      () => (settled = true),
    );
    await tick();
    c.pending[0]!.fail(new Error('cluster said no'));
    await tick();
    // b is still in the cluster: the failure waits for it.
    expect(settled).toBe(false);
    c.pending[1]!.answer();
    await expect(done).rejects.toThrow('cluster said no');
    expect(reports).toEqual([]);
    // Nothing was sent after the failure was seen.
    expect(c.pending).toHaveLength(2);
  });

  it('reports the batches acknowledged before a failure, then throws it', async () => {
    const c = cluster();
    const reports: number[] = [];
    const done = writeInPieces(
      stream(items(['a']), items(['b'])),
      c.prepare,
      { pieceDocs: 1, slots: 2 },
      (r) => reports.push(r.length),
    );
    done.catch(() => undefined);
    await tick();
    // The second batch fails while the first is still in the cluster.
    c.pending[1]!.fail(new Error('second batch refused'));
    await tick();
    c.pending[0]!.answer();
    await expect(done).rejects.toThrow('second batch refused');
    expect(reports).toEqual([1]);
  });
});
