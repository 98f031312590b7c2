import { correctText, suggestionEdits } from '../../query/relevance.js';
import type { SearchRequest } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import type { QueryDsl } from './filter.js';
import { tokenPath } from './mapping.js';
import type { ClusterTransport } from './transport.js';

interface SuggestResponse {
  suggest?: Record<string, { options: { text: string; score: number; freq: number }[] }[]>;
  hits?: { total?: { value: number } };
}

/**
 * "Did you mean" for a search that found nothing: the cluster's term suggester (the same edit budget, first
 * character kept, as the embedded engine's vocabulary walk) proposes, per word, the closest and most frequent
 * term of any searchable field that does not hold the word; the corrected query is offered only if it finds
 * something under the same filter.
 */
export async function clusterDidYouMean(
  transport: ClusterTransport,
  path: string,
  schema: IndexSchema,
  request: SearchRequest,
  body: (req: SearchRequest) => QueryDsl,
  timeoutMs: number,
): Promise<string | undefined> {
  const text = request.text;
  if (!text) return undefined;
  const fields = Object.keys(schema.fields).filter((f) => schema.fields[f]!.searchable);
  const words = [...new Set(text.must.filter((c) => c.tokens.length === 1).map((c) => c.tokens[0]!))].filter(
    (w) => suggestionEdits(w) > 0,
  );
  if (!words.length) return undefined;
  const suggest: Record<string, unknown> = {};
  words.forEach((word, i) =>
    fields.forEach((field, j) => {
      suggest[`w${i}f${j}`] = {
        text: word,
        term: {
          field: tokenPath(field),
          suggest_mode: 'missing',
          max_edits: suggestionEdits(word),
          prefix_length: 1,
          min_word_length: 3,
          size: 1,
        },
      };
    }),
  );
  const res = await transport.request<SuggestResponse>(
    { method: 'POST', path, body: { size: 0, track_total_hits: false, suggest } },
    { timeoutMs },
  );
  if (res.status !== 200 || !res.body.suggest) return undefined;
  const fixes = new Map<string, string>();
  words.forEach((word, i) => {
    const options = fields.flatMap((_, j) => res.body.suggest![`w${i}f${j}`]?.[0]?.options ?? []);
    options.sort((a, b) => b.score - a.score || b.freq - a.freq || (a.text < b.text ? -1 : 1));
    if (options[0]) fixes.set(word, options[0].text);
  });
  const fix = correctText(text, fixes);
  if (!fix) return undefined;
  const probe = await transport.request<SuggestResponse>(
    {
      method: 'POST',
      path,
      body: {
        ...body({ ...request, text: fix.text, size: 0, from: 0, facets: [], highlight: null, trackTotal: 1 }),
      },
    },
    { timeoutMs },
  );
  return probe.status === 200 && (probe.body.hits?.total?.value ?? 0) > 0 ? fix.q : undefined;
}
