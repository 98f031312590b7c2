import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/support/errors.js';
import { parseSchema } from '../../schema/validate.js';
import { checkAnalyzer } from './mapping.js';

describe('the analyzer on the clusters', () => {
  const fields = { id: { type: 'keyword' }, body: { type: 'text' } };

  it('refuses the english analyzer clearly rather than searching without stems', () => {
    const err = errorOf(() => checkAnalyzer(parseSchema({ fields, analyzer: 'english' })));
    expect(err).toMatchObject({ code: 'INVALID_SCHEMA', details: { analyzer: 'english' } });
    expect(err.message).toContain('embedded engine only');
  });

  it('takes the standard analyzer', () => {
    expect(() => checkAnalyzer(parseSchema({ fields, analyzer: 'standard' }))).not.toThrow();
    expect(() => checkAnalyzer(parseSchema({ fields }))).not.toThrow();
  });
});
