import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { InvalidArgumentError, type Command } from 'commander';
import { SiftError } from '../../errors.js';
import { multiSearchChecks } from '../../http/routes/multi-search.js';
import { parseJsonText } from '../../ingest/json.js';
import {
  isFederated,
  multiSearch,
  type EntryAnswer,
  type EntryError,
  type FederatedResults,
  type MultiSearchBody,
  type MultiSearchResults,
} from '../../query/multi-search.js';
import type { IndexSchema } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import type { CliContext } from '../context.js';
import { colors, displayValue, formatNumber, renderTable, terminalWidth, type Colors } from '../format.js';
import { printResults } from './search.js';

interface MultiSearchOptions {
  json?: boolean;
  federate?: boolean;
  limit?: number;
  offset?: number;
}

const intOption = (min: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return n;
};

/**
 * The searches of the input: the body of POST /api/multi-search (`{"searches": [...], "federation": {...}}`), a
 * JSON array of searches, or NDJSON with one search per line (blank lines skipped).
 */
export function parseSearches(input: string): MultiSearchBody {
  const trimmed = input.trim();
  if (!trimmed) throw new SiftError('INVALID_REQUEST', 'no searches given: the input is empty');
  let whole: unknown;
  try {
    whole = parseJsonText(trimmed, 'input');
  } catch (err) {
    // Not one JSON value: NDJSON, one search a line (a line that is not JSON names itself).
    const lines = trimmed.split('\n');
    if (lines.length < 2) throw err;
    return {
      searches: lines.flatMap((line, i) => (line.trim() ? [parseJsonText(line, `line ${i + 1}`)] : [])),
    };
  }
  if (Array.isArray(whole)) return { searches: whole };
  if (typeof whole === 'object' && whole !== null && 'searches' in whole) return whole as MultiSearchBody;
  // One search alone on one line is NDJSON of one line.
  return { searches: [whole] };
}

/** What a search asked for, in a few words: its text and filter. */
function describeSearch(raw: unknown): string {
  const { q, filter } = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    q?: unknown;
    filter?: unknown;
  };
  const parts = [
    typeof q === 'string' && q.trim() ? `q ${JSON.stringify(q)}` : 'every document',
    ...(filter !== undefined
      ? [`filter ${typeof filter === 'string' ? filter : JSON.stringify(filter)}`]
      : []),
  ];
  return parts.join(', ');
}

const errorLine = (e: EntryError, c: Colors) =>
  c.red(`error ${e.status} ${e.error.code}: ${e.error.message}`);

function printEach(
  ctx: CliContext,
  body: MultiSearchBody,
  answer: MultiSearchResults,
  schemas: Map<string, IndexSchema>,
): void {
  const out = (s = '') => ctx.stdout.write(s + '\n');
  const c = colors(ctx.stdout);
  answer.results.forEach((result, i) => {
    if (i > 0) out();
    const raw = body.searches[i] as { fields?: string; size?: number; page?: number } | undefined;
    out(c.bold(`search ${i + 1}: ${result.index ?? '(no index)'}`) + c.dim(` (${describeSearch(raw)})`));
    if ('error' in result) return out(errorLine(result, c));
    const fields = typeof raw?.fields === 'string' ? raw.fields : undefined;
    printResults(ctx, result as EntryAnswer, schemas.get(result.index!)!, {
      fields,
      size: raw?.size,
      page: raw?.page,
    });
  });
  out();
  out(c.dim(`${answer.results.length} searches, took ${answer.took_ms} ms`));
}

function printFederated(ctx: CliContext, body: MultiSearchBody, answer: FederatedResults): void {
  const out = (s = '') => ctx.stdout.write(s + '\n');
  const c = colors(ctx.stdout);
  if (answer.hits.length === 0) out(c.dim('no hits'));
  else
    out(
      renderTable(
        ['#', 'index', 'id', 'score', 'search', 'search score'],
        answer.hits.map((h, i) => [
          String(answer.offset + i + 1),
          h.index,
          h.id,
          h.score.toFixed(3),
          String(h.search + 1),
          h.search_score === null ? '-' : h.search_score.toFixed(2),
        ]),
        { stream: ctx.stdout, maxWidth: terminalWidth(ctx.stdout), alignRight: [0, 3, 4, 5] },
      ),
    );
  out();
  answer.searches.forEach((s, i) => {
    const head = `search ${i + 1}: ${s.index ?? '(no index)'} (${describeSearch(body.searches[i])})`;
    if ('error' in s) return out(`${head}: ${errorLine(s, c)}`);
    const weight = (body.searches[i] as { weight?: number }).weight ?? 1;
    const total = `${formatNumber(s.total)}${s.total_relation === 'gte' ? '+' : ''}`;
    out(`${head}: weight ${displayValue(weight)}, total ${total} ${c.dim(`(took ${s.took_ms} ms)`)}`);
  });
  const total = `${formatNumber(answer.total)}${answer.total_relation === 'gte' ? '+' : ''}`;
  out();
  out(
    `${c.bold(`total ${total}`)} ${c.dim(`(took ${answer.took_ms} ms${answer.partial ? ', partial' : ''})`)}`,
  );
}

/** The schemas of the indexes that answered, for the tables' columns (read after the searches, as `search` does). */
async function schemasOf(
  service: SearchService,
  answer: MultiSearchResults,
): Promise<Map<string, IndexSchema>> {
  const schemas = new Map<string, IndexSchema>();
  for (const r of answer.results)
    if (!('error' in r) && r.index !== null && !schemas.has(r.index))
      schemas.set(r.index, await service.schemaOf(r.index));
  return schemas;
}

export function registerMultiSearchCommand(program: Command, ctx: CliContext): void {
  program
    .command('multi-search')
    .description(
      'run several searches of the local data directory together (as POST /api/multi-search), or merged into one list',
    )
    .argument(
      '[file]',
      'searches: a multi-search body {"searches": [...]}, a JSON array of searches, or NDJSON (one search a line); ' +
        '"-" or nothing for stdin',
    )
    .option('--federate', 'merge the hits into one ranked list (each search may give a "weight")')
    .option('--limit <n>', 'hits of the merged list (default 10; implies --federate)', intOption(1))
    .option('--offset <n>', 'merged hits to skip (default 0; implies --federate)', intOption(0))
    .option('--json', 'print the answer as JSON, as POST /api/multi-search gives it')
    .action(async (file: string | undefined, opts: MultiSearchOptions) => {
      if ((file === undefined || file === '-') && process.stdin.isTTY)
        ctx.stderr.write('reading searches from stdin, one a line (end with Ctrl-D)...\n');
      const input =
        file === undefined || file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
      const parsed = parseSearches(input);
      const federation =
        opts.federate || opts.limit !== undefined || opts.offset !== undefined
          ? {
              ...parsed.federation,
              ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
              ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
            }
          : parsed.federation;
      const config = ctx.config();
      const { checkBody, checkEntry } = multiSearchChecks(config);
      const body = checkBody({ searches: parsed.searches, ...(federation ? { federation } : {}) });
      const { answer, schemas } = await ctx.withService(
        async (service) => {
          const answer = await multiSearch(body, {
            checkEntry,
            search: (index, search) => service.search(index, search),
            maxPageSize: config.MAX_PAGE_SIZE,
          });
          return { answer, schemas: isFederated(answer) ? new Map() : await schemasOf(service, answer) };
        },
        { readOnly: true },
      );
      const failed = isFederated(answer)
        ? answer.searches.some((s) => 'error' in s)
        : answer.results.some((r) => 'error' in r);
      // Every search is answered, but one that failed makes the command's outcome a partial failure.
      if (failed) ctx.exitCode = 1;
      if (opts.json) ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
      else if (isFederated(answer)) printFederated(ctx, body, answer);
      else printEach(ctx, body, answer, schemas);
    });
}
