import { valuesAt } from '../../schema/paths.js';
import { InvalidArgumentError, type Command } from 'commander';
import { SiftError } from '../../errors.js';
import type { RawSearchInput } from '../../query/request.js';
import type { FacetResult } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import type { SearchResponse } from '../../service/search-service.js';
import {
  colors,
  displayValue,
  formatNumber,
  oneLine,
  renderTable,
  terminalWidth,
  type Colors,
} from '../format.js';
import type { CliContext } from '../context.js';

interface SearchOptions {
  index?: string;
  filter?: string;
  sort?: string;
  size?: number;
  page?: number;
  cursor?: string;
  facets?: string;
  fields?: string;
  searchFields?: string;
  json?: boolean;
}

/** How many document fields the table shows next to rank, id and score. */
const SHOWN_FIELDS = 3;

const intOption = (min: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return n;
};

/** The fields to show: the ones asked for, else the first returned fields of the schema other than the id. */
function shownFields(schema: IndexSchema, requested: string | undefined): string[] {
  if (requested) {
    return requested
      .split(',')
      .map((s) => s.trim())
      .filter((f) => f && f !== schema.id_field)
      .slice(0, SHOWN_FIELDS);
  }
  return Object.entries(schema.fields)
    .filter(([name, spec]) => spec.returned && name !== schema.id_field)
    .slice(0, SHOWN_FIELDS)
    .map(([name]) => name);
}

/** A highlight snippet with its tags turned into bold (on a terminal) or removed. */
function renderHighlight(snippet: string, c: Colors): string {
  return oneLine(snippet.replace(/<mark>(.*?)<\/mark>/g, (_, inner: string) => c.bold(inner)));
}

function formatFacet(name: string, facet: FacetResult, c: Colors): string[] {
  const lines: string[] = [];
  if (facet.buckets) {
    const buckets = facet.buckets.map(
      (b) => `${displayValue(b.value)} ${c.dim(`(${formatNumber(b.count)})`)}`,
    );
    lines.push(`${c.bold(name)}: ${buckets.length ? buckets.join(', ') : c.dim('none')}`);
  }
  if (facet.ranges) {
    const ranges = facet.ranges.map((r) => `${r.key} ${c.dim(`(${formatNumber(r.count)})`)}`);
    lines.push(`${c.bold(name)} ranges: ${ranges.join(', ')}`);
  }
  if (facet.stats) {
    const s = facet.stats;
    const v = (n: number | null) => (n === null ? '-' : formatNumber(n));
    lines.push(
      `${c.bold(name)} stats: min ${v(s.min)}, max ${v(s.max)}, avg ${v(s.avg)}, sum ${v(s.sum)}, count ${formatNumber(s.count)}`,
    );
  }
  return lines;
}

export function printResults(
  ctx: CliContext,
  res: SearchResponse,
  schema: IndexSchema,
  opts: SearchOptions,
): void {
  const out = (s = '') => ctx.stdout.write(s + '\n');
  const c = colors(ctx.stdout);
  if (res.hits.length === 0) {
    out(c.dim('no hits'));
  } else {
    const fields = shownFields(schema, opts.fields);
    const offset = ((opts.page ?? 1) - 1) * (opts.size ?? 10);
    const rows = res.hits.map((hit, i) => [
      String(offset + i + 1),
      hit.id,
      hit.score === null ? '-' : hit.score.toFixed(2),
      ...fields.map((f) => {
        const snippet = hit.highlights?.[f]?.[0];
        // A path into objects shows every value it holds (of each element of an array of objects).
        const value = f.includes('.') ? valuesAt(hit.document, f) : hit.document[f];
        return snippet !== undefined ? renderHighlight(snippet, c) : displayValue(value);
      }),
    ]);
    const numeric = fields.flatMap((f, i) => {
      const type = Object.hasOwn(schema.fields, f) ? schema.fields[f]!.type : undefined;
      return type === 'integer' || type === 'float' ? [i + 3] : [];
    });
    out(
      renderTable(['#', 'id', 'score', ...fields], rows, {
        stream: ctx.stdout,
        maxWidth: terminalWidth(ctx.stdout),
        alignRight: [0, 2, ...numeric],
      }),
    );
  }
  const facetLines = Object.entries(res.facets).flatMap(([name, f]) => formatFacet(name, f, c));
  if (facetLines.length) {
    out();
    for (const l of facetLines) out(l);
  }
  out();
  const total = `${formatNumber(res.total)}${res.total_relation === 'gte' ? '+' : ''}`;
  out(`${c.bold(`total ${total}`)} ${c.dim(`(took ${res.took_ms} ms${res.partial ? ', partial' : ''})`)}`);
  if (res.next_cursor) out(c.dim(`next page: --cursor ${res.next_cursor}`));
}

export function registerSearchCommand(program: Command, ctx: CliContext): void {
  program
    .command('search')
    .description('search an index of the local data directory')
    .argument('[query]', 'full-text query (omit to match every document)')
    .option('-i, --index <name>', 'index to search (default: DEFAULT_INDEX, "packages")')
    .option('--filter <expr>', 'filter expression, e.g. "scope = @types AND downloads > 1000"')
    .option('--sort <fields>', 'sort fields, comma-separated, "-" for descending (e.g. -downloads)')
    .option('-n, --size <n>', 'hits per page', intOption(0))
    .option('--page <n>', 'page number (from 1)', intOption(1))
    .option('--cursor <cursor>', 'continue after a previous page (its next_cursor)')
    .option('--facets <fields>', 'facet fields, comma-separated (default: none)')
    .option('--fields <fields>', 'fields to return, comma-separated')
    .option(
      '--search-fields <fields>',
      'searchable fields to search and their weights, comma-separated (e.g. name^2,summary; default: all)',
    )
    .option('--json', "print the service's response as JSON")
    .action(async (query: string | undefined, opts: SearchOptions) => {
      const input: RawSearchInput = {
        ...(query !== undefined ? { q: query } : {}),
        ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
        ...(opts.sort !== undefined ? { sort: opts.sort } : {}),
        ...(opts.size !== undefined ? { size: opts.size } : {}),
        ...(opts.page !== undefined ? { page: opts.page } : {}),
        ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
        ...(opts.facets !== undefined ? { facets: opts.facets } : {}),
        ...(opts.fields !== undefined ? { fields: opts.fields } : {}),
        ...(opts.searchFields !== undefined ? { search_fields: opts.searchFields } : {}),
      };
      const index = opts.index ?? ctx.config().DEFAULT_INDEX;
      const { response, schema } = await ctx.withService(
        async (service) => {
          const schema = await service.schemaOf(index);
          return { response: await service.search(index, input), schema };
        },
        {
          readOnly: true,
          whenNoData: () => {
            throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
          },
        },
      );
      if (opts.json) ctx.stdout.write(JSON.stringify(response, null, 2) + '\n');
      else printResults(ctx, response, schema, opts);
    });
}
