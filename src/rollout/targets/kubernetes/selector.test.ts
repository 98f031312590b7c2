import { describe, expect, it } from 'vitest';
import { labelSelectorQuery } from './selector.js';

describe('labelSelectorQuery', () => {
  it('writes matchLabels and every expression operator the way the API server parses them', () => {
    expect(
      labelSelectorQuery({
        matchLabels: { 'app.kubernetes.io/name': 'sift', color: 'blue' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['api', 'web'] },
          { key: 'track', operator: 'NotIn', values: ['canary'] },
          { key: 'team', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app.kubernetes.io/name=sift,color=blue,tier in (api,web),track notin (canary),team,!legacy');
  });

  it('is empty for no selector and refuses an unknown operator', () => {
    expect(labelSelectorQuery(undefined)).toBe('');
    expect(() => labelSelectorQuery({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).toThrow(/Near/);
  });
});
