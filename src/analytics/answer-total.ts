/** The end of the top-level total in a serialized search answer: `"total":N,"total_relation":"`. */
const MARK = ',"total_relation":"';
const TOTAL = '"total":';
const TOTAL_BYTES = Buffer.from(TOTAL);
const ZERO = 48;
const NINE = 57;

const isDigit = (code: number) => code >= ZERO && code <= NINE;

/** The total from a string answer whose mark was found at `mark`, or undefined when it is not `"total":N`. */
function totalBefore(text: string, mark: number): number | undefined {
  let start = mark;
  while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
  if (start < mark && text.startsWith(TOTAL, start - TOTAL.length)) return Number(text.slice(start, mark));
  return undefined;
}

/** The same on the bytes: the mark and the digits are ASCII, so the answer is never decoded to a string. */
function totalBeforeBytes(bytes: Buffer, mark: number): number | undefined {
  let start = mark;
  while (start > 0 && isDigit(bytes[start - 1]!)) start--;
  const head = start - TOTAL_BYTES.length;
  if (start === mark || head < 0 || bytes.compare(TOTAL_BYTES, 0, TOTAL_BYTES.length, head, start) !== 0)
    return undefined;
  return Number(bytes.toString('latin1', start, mark));
}

function parsedTotal(body: string | Buffer): number {
  try {
    const total = (JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as { total?: unknown })
      .total;
    return typeof total === 'number' ? total : 0;
  } catch {
    return 0;
  }
}

/**
 * The total of a serialized search answer without parsing it all: the response schema writes `total` right before
 * `total_relation`, and the last such pair is the top level (a document's own keys come earlier, inside `hits`;
 * inside a string, quotes are escaped, so the mark cannot appear there). Anything unexpected is parsed in full.
 */
export function answerTotal(body: string | Buffer): number {
  const mark = body.lastIndexOf(MARK);
  if (mark > 0) {
    const total = typeof body === 'string' ? totalBefore(body, mark) : totalBeforeBytes(body, mark);
    if (total !== undefined) return total;
  }
  return parsedTotal(body);
}

/**
 * answerTotal remembered per answer object: a cache hit sends the very Buffer the cache holds, so every hit of one
 * entry reads its total once. Keyed weakly, so an entry the cache drops is not kept alive here. Only Buffers can be
 * keys (a string answer, from a miss, is new each time anyway); a sent answer is never written to again (the
 * socket may still be reading it), so its total cannot change under its key.
 */
export class AnswerTotals {
  private readonly totals = new WeakMap<Buffer, number>();

  of(answer: string | Buffer | number): number {
    if (typeof answer === 'number') return answer;
    if (typeof answer === 'string') return answerTotal(answer);
    let total = this.totals.get(answer);
    if (total === undefined) {
      total = answerTotal(answer);
      this.totals.set(answer, total);
    }
    return total;
  }
}
