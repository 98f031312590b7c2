import { InvalidArgumentError, type Command } from 'commander';
import { SiftError } from '../../errors.js';
import type {
  ByFilterInput,
  DeleteByFilterAnswer,
  UpdateByFilterAnswer,
} from '../../service/search-service.js';
import type { CliContext } from '../context.js';
import { formatNumber } from '../format.js';

interface ByFilterOptions {
  filter?: string;
  limit?: number;
  dryRun?: boolean;
  json?: boolean;
}

const limitOption = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return Number(value);
};

/** `--set '{"license": "MIT"}'`: one JSON object (a merge patch: null removes a field). */
function parseSet(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SiftError('INVALID_REQUEST', `--set is not JSON: ${(err as Error).message}`, { field: 'set' });
  }
}

const inputOf = (opts: ByFilterOptions): ByFilterInput => ({
  ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
  ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  ...(opts.dryRun ? { dry_run: true } : {}),
});

/** One line: what a dry run would touch, or what was changed. */
function describe(index: string, answer: DeleteByFilterAnswer | UpdateByFilterAnswer): string {
  const verb = 'deleted' in answer ? 'deleted' : 'updated';
  const changed = 'deleted' in answer ? answer.deleted : answer.updated;
  if (answer.dry_run)
    return answer.over_limit
      ? `index "${index}": the filter matches ${formatNumber(answer.matched)} documents, more than the limit of ${formatNumber(answer.limit)}: nothing would be ${verb} (raise --limit or narrow --filter)`
      : `index "${index}": ${formatNumber(answer.matched)} documents would be ${verb} (dry run, nothing changed)`;
  return `index "${index}": ${formatNumber(changed)} documents ${verb}`;
}

/** `sift documents delete|update`: writes by filter, with a dry run and a limit. */
export function registerDocumentsCommands(program: Command, ctx: CliContext): void {
  const documents = program
    .command('documents')
    .description('delete or update the documents a filter matches');
  const out = (s: string) => ctx.stdout.write(s + '\n');
  const common = (cmd: Command) =>
    cmd
      .argument('<index>', 'the index')
      .option('--filter <expression>', "the documents to change, e.g. 'deprecated = true AND downloads < 10'")
      .option(
        '--limit <n>',
        'the most documents this may change (default 1000, at most 10000); more matches change nothing. Required without --filter',
        limitOption,
      )
      .option('--dry-run', 'only count the matches; change nothing')
      .option('--json', 'print the answer as JSON');

  common(documents.command('delete').description('delete the documents a filter matches')).action(
    async (index: string, opts: ByFilterOptions) => {
      const answer = await ctx.withService((service) => service.deleteByFilter(index, inputOf(opts)), {
        readOnly: !!opts.dryRun,
      });
      out(opts.json ? JSON.stringify(answer, null, 2) : describe(index, answer));
    },
  );

  common(
    documents
      .command('update')
      .description('set fields on the documents a filter matches')
      .requiredOption(
        '--set <json>',
        'fields to set, as a JSON object (null removes a field): \'{"license": "MIT"}\'',
      ),
  ).action(async (index: string, opts: ByFilterOptions & { set: string }) => {
    const set = parseSet(opts.set);
    const answer = await ctx.withService(
      (service) => service.updateByFilter(index, { ...inputOf(opts), set }),
      {
        readOnly: !!opts.dryRun,
      },
    );
    out(opts.json ? JSON.stringify(answer, null, 2) : describe(index, answer));
  });
}
