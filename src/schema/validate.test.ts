import { describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/errors.js';
import { parseSchema } from './validate.js';

const fields = { id: { type: 'keyword' }, body: { type: 'text' } };

describe('the analyzer of a schema', () => {
  it('is english when asked, and left out for the standard default so a schema reads back as written', () => {
    expect(parseSchema({ fields, analyzer: 'english' }).analyzer).toBe('english');
    expect(parseSchema({ fields, analyzer: 'standard' })).not.toHaveProperty('analyzer');
    expect(parseSchema({ fields })).not.toHaveProperty('analyzer');
  });

  it('refuses an analyzer Sift does not have, naming the choices', () => {
    for (const analyzer of ['klingon', 1, null, ''])
      expect(errorOf(() => parseSchema({ fields, analyzer }))).toMatchObject({
        code: 'INVALID_SCHEMA',
        message: expect.stringContaining('standard, english') as unknown,
      });
  });
});
