import { describe, expect, it } from 'vitest';
import { highlightSegments, unescapeHtml } from './highlight.js';

describe('highlights as text segments', () => {
  it('splits on the marks and unescapes the text between them', () => {
    expect(highlightSegments('a &lt;b&gt; <mark>Dune</mark> &amp; <mark>spice</mark>&quot;')).toEqual([
      { text: 'a <b> ', marked: false },
      { text: 'Dune', marked: true },
      { text: ' & ', marked: false },
      { text: 'spice', marked: true },
      { text: '"', marked: false },
    ]);
  });

  it('leaves escaped markup as text: an escaped <mark> is not a mark', () => {
    expect(highlightSegments('&lt;mark&gt;x&lt;/mark&gt;')).toEqual([
      { text: '<mark>x</mark>', marked: false },
    ]);
  });

  it('takes an unclosed mark as text, and custom tags', () => {
    expect(highlightSegments('a <mark>b')).toEqual([{ text: 'a <mark>b', marked: false }]);
    expect(highlightSegments('[x] y', '[', ']')).toEqual([
      { text: 'x', marked: true },
      { text: ' y', marked: false },
    ]);
  });

  it('decodes numeric references, and leaves unknown ones alone', () => {
    expect(unescapeHtml('&#39;&#x27;&#X41;&apos;&nope;&#0;')).toBe("''A'&nope;&#0;");
  });
});
