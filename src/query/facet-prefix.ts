import { settingsOf } from '../schema/settings.js';
import type { IndexSchema } from '../schema/types.js';
import { typosFor } from './relevance.js';

/**
 * Typo tolerance of a facet value search (a facet's `prefix`), by the rules of the text query: the index's typo
 * settings (on, `min_word_size`, `disable_on_fields`), the request's `typo`, no typo in a prefix with digits, and
 * the first character as typed. Every engine counts the values this module's matcher accepts: the embedded engine
 * runs it, the clusters run the same algorithm as a script (src/engines/cluster/facet-prefix-script.ts), and the
 * conformance suite holds them to the same answers.
 *
 * A value matches a prefix with a budget of k typos when its first character is the prefix's first character and
 * the rest of the prefix is within k edits of some beginning of the rest of the value. An edit is a character
 * inserted, deleted or replaced, or two neighbours swapped (optimal string alignment, as the text query counts
 * them). Characters are Unicode code points; ASCII letters compare in either case, every other character exactly
 * (as the exact prefix does).
 */

/** The typos a facet value search may carry: 0 (the values that start with the prefix), 1 or 2. */
export function facetPrefixTypos(
  prefix: string,
  field: string,
  schema: IndexSchema,
  requested: boolean,
): number {
  const typo = settingsOf(schema).typo_tolerance;
  if (!requested || !typo.enabled || typo.disable_on_fields.includes(field)) return 0;
  return typosFor(prefix, typo.min_word_size);
}

/** The code points of a text, ASCII letters lower-cased: what the matcher compares. */
export function foldedCodePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out.push(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return out;
}

/** A test of values against a prefix with a typo budget; with no budget, "starts with". */
export function facetPrefixMatcher(prefix: string, typos: number): (value: string) => boolean {
  const p = foldedCodePoints(prefix);
  const first = p[0];
  const rest = p.slice(1);
  const m = rest.length;
  return (value) => {
    const v = foldedCodePoints(value);
    if (v.length === 0 || v[0] !== first) return false;
    // Only the first m + typos characters after the first can take part in an alignment within the budget.
    const b = v.slice(1, 1 + m + typos);
    // prev2, prev, row: the rows i-2, i-1 and i of the edit distance between rest[0..i) and b[0..j).
    let prev2: number[] = [];
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= m; i++) {
      const row = [i];
      let best = i;
      for (let j = 1; j <= b.length; j++) {
        let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (rest[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && rest[i - 1] === b[j - 2] && rest[i - 2] === b[j - 1])
          d = Math.min(d, prev2[j - 2]! + 1);
        row.push(d);
        best = Math.min(best, d);
      }
      // Every later row is at least this row's least value: past the budget, nothing can match.
      if (best > typos) return false;
      prev2 = prev;
      prev = row;
    }
    // The whole rest of the prefix against the best beginning of the value.
    return Math.min(...prev) <= typos;
  };
}
