import { describe, expect, it } from 'vitest';
import { answerTotal, AnswerTotals } from './answer-total.js';

const answer = (total: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ hits: [], total, total_relation: 'eq', facets: {}, took_ms: 1, ...extra });

describe('answer total', () => {
  it('reads the same total from a string and from its bytes, without decoding the bytes', () => {
    const bodies = [
      answer(0),
      answer(1234567),
      answer(7, { hits: [{ document: { name: 'Émile 東京', total: 99, total_relation: 'x' } }] }),
      // Not the shape the mark expects: parsed in full.
      JSON.stringify({ total: 5 }),
      '{"total":"x","total_relation":"eq"}',
      'not json',
    ];
    for (const body of bodies) expect(answerTotal(Buffer.from(body))).toBe(answerTotal(body));
    expect(bodies.map(answerTotal)).toEqual([0, 1234567, 7, 5, 0, 0]);
  });

  it('remembers a Buffer answer by the object: every cache hit of one entry reads it once', () => {
    const totals = new AnswerTotals();
    const hit = Buffer.from(answer(42));
    expect(totals.of(hit)).toBe(42);
    expect(totals.of(hit)).toBe(42);
    // Another entry with other bytes is another key.
    expect(totals.of(Buffer.from(answer(3)))).toBe(3);
    expect(totals.of(answer(8))).toBe(8);
  });
});
