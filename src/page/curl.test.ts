import { describe, expect, it } from 'vitest';
import { curlCommand, shellQuote } from './curl.js';

describe('the equivalent curl command', () => {
  it('quotes for a POSIX shell, single quotes included', () => {
    expect(shellQuote(`it's "x" $HOME`)).toBe(`'it'\\''s "x" $HOME'`);
  });

  it('posts the JSON body, and reads a key from the environment rather than showing it', () => {
    const body = { q: "rock 'n' roll", size: 10 };
    expect(curlCommand('http://localhost:8000', '/api/search', body, false)).toBe(
      [
        `curl -X POST 'http://localhost:8000/api/search'`,
        `  -H 'content-type: application/json'`,
        `  -d '{"q":"rock '\\''n'\\'' roll","size":10}'`,
      ].join(' \\\n'),
    );
    const withKey = curlCommand('http://h', '/api/indexes/books/search', body, true);
    expect(withKey).toContain(`-H "authorization: Bearer $SIFT_API_KEY"`);
  });
});
