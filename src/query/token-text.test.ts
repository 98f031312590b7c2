import { describe, expect, it } from 'vitest';
import { tokenText, tokenize } from './text-query.js';

describe('tokenText', () => {
  it('is the tokens joined by single spaces, for ASCII and any other text', () => {
    for (const text of [
      '',
      '   ',
      'react',
      'React DOM',
      '  --leading and trailing--  ',
      'a..b__c  d\te\nf',
      '@scope/name-with-dashes_and_underscores',
      'v1.2.3 x86_64',
      'Crème brûlée — naïve café',
      'İstanbul ŞEHİR',
      '日本語 テキスト',
      'emoji 🎉 party',
      '\u0000control\u007fchars',
    ])
      expect(tokenText(text), JSON.stringify(text)).toBe(tokenize(text).join(' '));
  });
});
