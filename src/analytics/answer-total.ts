/** The end of the top-level total in a serialized search answer: `"total":N,"total_relation":"`. */
const MARK = ',"total_relation":"';
const TOTAL = '"total":';

/**
 * The total of a serialized search answer without parsing it all: the response schema writes `total` right before
 * `total_relation`, and the last such pair is the top level (a document's own keys come earlier, inside `hits`;
 * inside a string, quotes are escaped, so the mark cannot appear there). Anything unexpected is parsed in full.
 */
export function answerTotal(body: string | Buffer): number {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const mark = text.lastIndexOf(MARK);
  if (mark > 0) {
    let start = mark;
    while (start > 0 && text.charCodeAt(start - 1) >= 48 && text.charCodeAt(start - 1) <= 57) start--;
    if (start < mark && text.startsWith(TOTAL, start - TOTAL.length)) return Number(text.slice(start, mark));
  }
  try {
    const total = (JSON.parse(text) as { total?: unknown }).total;
    return typeof total === 'number' ? total : 0;
  } catch {
    return 0;
  }
}
