import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SearchResponse } from '../../query/response.js';
import { parseSchema } from '../../schema/validate.js';
import type { CliContext } from '../context.js';
import { printResults } from './search.js';

/** A context whose stdout is collected (not a terminal: no colours); nothing else is used by printResults. */
function capture(): { ctx: CliContext; text: () => string } {
  let text = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { ctx: { stdout, stderr: stdout } as unknown as CliContext, text: () => text };
}

describe('sift search output', () => {
  it('shows list fields and paths into objects, every value of an array of objects', () => {
    const schema = parseSchema({
      fields: {
        id: { type: 'keyword' },
        title: { type: 'text' },
        tags: { type: 'keyword', array: true },
        'author.name': { type: 'keyword' },
        'authors.name': { type: 'keyword', array: true },
      },
    });
    const res = {
      hits: [
        {
          id: 'b1',
          score: null,
          document: {
            title: 'Guards',
            tags: ['fantasy', 'humor'],
            author: { name: 'Pratchett' },
            authors: [{ name: 'Pratchett' }, { name: 'Kidby' }],
          },
        },
      ],
      total: 1,
      total_relation: 'eq',
      facets: {},
      next_cursor: null,
      took_ms: 1,
      partial: false,
    } as unknown as SearchResponse;
    const { ctx, text } = capture();
    printResults(ctx, res, schema, { fields: 'tags,author.name,authors.name' });
    expect(text()).toMatch(/│ fantasy, humor │ Pratchett +│ Pratchett, Kidby │/);
  });
});
