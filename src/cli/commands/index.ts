import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { SiftError } from '../../errors.js';
import type { IndexInfo } from '../../engines/engine.js';
import { loadSchemaFile } from '../../schema/load.js';
import type { FieldSpec } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { colors, formatNumber, humanBytes, renderTable } from '../format.js';
import type { CliContext } from '../context.js';

/**
 * Reads a schema file as written (YAML or JSON), after checking it with loadSchemaFile so problems name the
 * file. The raw form goes to the service, which validates and fills in defaults itself.
 */
export function readRawSchema(path: string): unknown {
  loadSchemaFile(path);
  const text = readFileSync(path, 'utf8');
  return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
}

/** The index without its schema: what `index list --json` prints per index. */
export function indexSummary(info: IndexInfo) {
  return {
    name: info.name,
    documents: info.documents,
    size_bytes: info.size_bytes,
    created_at: info.created_at,
    generation: info.generation,
  };
}

/** "searchable (boost 3), filterable, facet, sortable" */
export function fieldOptions(spec: FieldSpec): string {
  const opts: string[] = [];
  if (spec.searchable) opts.push(spec.boost !== 1 ? `searchable (boost ${spec.boost})` : 'searchable');
  if (spec.filterable) opts.push('filterable');
  if (spec.facet) opts.push('facet');
  if (spec.sortable) opts.push('sortable');
  if (spec.required) opts.push('required');
  if (!spec.returned) opts.push('not returned');
  return opts.join(', ');
}

const shortDate = (iso: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? iso.slice(0, 16).replace('T', ' ') : iso;

export function registerIndexCommands(program: Command, ctx: CliContext): void {
  const index = program.command('index').description('create, drop, list and inspect indexes');
  const out = (s = '') => ctx.stdout.write(s + '\n');

  /**
   * `index settings` and `index curations`: without `--set`, print what the index holds (read-only: no data
   * directory is created); with it, replace that from a YAML or JSON file and print the result.
   */
  async function showOrReplace(
    name: string,
    file: string | undefined,
    parseCode: 'INVALID_SETTINGS' | 'INVALID_CURATION',
    access: {
      get: (service: SearchService) => Promise<unknown>;
      put: (service: SearchService, raw: unknown) => Promise<unknown>;
    },
  ): Promise<void> {
    if (file === undefined) {
      const held = await ctx.withService(access.get, {
        readOnly: true,
        whenNoData: () => {
          throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
        },
      });
      out(JSON.stringify(held, null, 2));
      return;
    }
    const text = readFileSync(file, 'utf8');
    let raw: unknown;
    try {
      raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw new SiftError(parseCode, `${file}: cannot parse: ${(err as Error).message}`);
    }
    out(JSON.stringify(await ctx.withService((service) => access.put(service, raw)), null, 2));
  }

  index
    .command('create')
    .description('create an index from a YAML or JSON schema file (a compatible change if it exists)')
    .argument('<name>', 'index name')
    .requiredOption('-s, --schema <file>', 'schema file (.yaml, .yml or .json)')
    .option('--json', 'print the index as JSON')
    .action(async (name: string, opts: { schema: string; json?: boolean }) => {
      const raw = readRawSchema(opts.schema);
      const { created, index: info } = await ctx.withService((service) => service.putIndex(name, raw));
      if (opts.json) out(JSON.stringify({ created, index: info }, null, 2));
      else
        out(
          created
            ? `created index "${name}" (${Object.keys(info.schema.fields).length} fields)`
            : `index "${name}" already existed; schema updated`,
        );
    });

  index
    .command('drop')
    .description('delete an index and all its documents')
    .argument('<name>', 'index name')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      await ctx.withService((service) => service.dropIndex(name));
      out(opts.json ? JSON.stringify({ dropped: name }) : `dropped index "${name}"`);
    });

  index
    .command('list')
    .description('list the indexes')
    .option('--json', 'print the indexes as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await ctx.withService((service) => service.listIndexes(), {
        readOnly: true,
        whenNoData: () => [],
      });
      list.sort((a, b) => a.name.localeCompare(b.name));
      if (opts.json) {
        out(JSON.stringify({ indexes: list.map(indexSummary) }, null, 2));
        return;
      }
      if (list.length === 0) {
        out('no indexes; create one with "sift index create <name> --schema <file>"');
        return;
      }
      const rows = list.map((i) => [
        i.name,
        formatNumber(i.documents),
        humanBytes(i.size_bytes),
        shortDate(i.created_at),
      ]);
      out(
        renderTable(['name', 'documents', 'size', 'created'], rows, {
          stream: ctx.stdout,
          alignRight: [1, 2],
        }),
      );
    });

  index
    .command('settings')
    .description(
      'show the relevance settings of an index (typo tolerance, stop words, synonyms), or replace them from a file',
    )
    .argument('<name>', 'index name')
    .option('--set <file>', 'YAML or JSON settings file; a key left out goes back to its default')
    .action((name: string, opts: { set?: string }) =>
      showOrReplace(name, opts.set, 'INVALID_SETTINGS', {
        get: (service) => service.getSettings(name),
        put: (service, raw) => service.putSettings(name, raw),
      }),
    );

  index
    .command('curations')
    .description(
      'show the curation rules of an index (pinned and hidden results per query), or replace them from a file',
    )
    .argument('<name>', 'index name')
    .option('--set <file>', 'YAML or JSON file holding the list of rules; [] removes every rule')
    .action((name: string, opts: { set?: string }) =>
      showOrReplace(name, opts.set, 'INVALID_CURATION', {
        get: (service) => service.getCurations(name),
        put: (service, raw) => service.putCurations(name, raw),
      }),
    );

  index
    .command('stats')
    .description('show an index: documents, size, generation and fields')
    .argument('<name>', 'index name')
    .option('--json', 'print the index (with its schema) as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const info = await ctx.withService((service) => service.getIndex(name), {
        readOnly: true,
        whenNoData: () => {
          throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
        },
      });
      if (opts.json) {
        out(JSON.stringify(info, null, 2));
        return;
      }
      const c = colors(ctx.stdout);
      const { schema } = info;
      out(`${c.bold('index')}       ${info.name}`);
      out(`${c.bold('documents')}   ${formatNumber(info.documents)}`);
      out(`${c.bold('size')}        ${humanBytes(info.size_bytes)}`);
      out(`${c.bold('generation')}  ${info.generation}`);
      out(`${c.bold('created')}     ${info.created_at}`);
      out(`${c.bold('id field')}    ${schema.id_field}`);
      if (schema.suggest) out(`${c.bold('suggest')}     ${schema.suggest.field}`);
      if (schema.ranking.exact_match) {
        out(
          `${c.bold('exact match')} ${schema.ranking.exact_match.fields.join(', ')} (boost ${schema.ranking.exact_match.boost})`,
        );
      }
      if (schema.ranking.popularity) {
        out(
          `${c.bold('popularity')}  ${schema.ranking.popularity.field} (weight ${schema.ranking.popularity.weight})`,
        );
      }
      const rows = Object.entries(schema.fields).map(([field, spec]) => [
        field,
        spec.type,
        fieldOptions(spec),
      ]);
      out(renderTable(['field', 'type', 'options'], rows, { stream: ctx.stdout }));
    });
}
