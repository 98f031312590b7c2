import type { Command } from 'commander';
import { ApiKeys, type KeyView } from '../../auth/api-keys.js';
import { parseExpiry } from '../../auth/expiry.js';
import { EngineKeyStore, type StoredKey } from '../../auth/key-store.js';
import { deriveScopedKey, encodeScopedKey, parseFilterInput } from '../../auth/scoped-keys.js';
import { parseApiKey, scopedSigningKey } from '../../auth/secrets.js';
import { SiftError } from '../../errors.js';
import { colors, renderTable } from '../format.js';
import type { CliContext } from '../context.js';

/** `--scope search --scope write` and `--scope search,write` both work. */
export const collectList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

const shortDate = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

function keyRows(keys: KeyView[]): string[][] {
  return keys.map((k) => [
    k.id,
    k.name,
    k.scopes.join(' '),
    k.indexes ? k.indexes.join(', ') : '*',
    k.status,
    shortDate(k.created_at),
    shortDate(k.expires_at),
  ]);
}

function filterOption(opts: {
  filter?: string;
  filterJson?: string;
}): string | Record<string, unknown> | null {
  if (opts.filter !== undefined && opts.filterJson !== undefined)
    throw new SiftError('INVALID_REQUEST', 'give --filter or --filter-json, not both');
  if (opts.filterJson !== undefined) {
    let tree: unknown;
    try {
      tree = JSON.parse(opts.filterJson);
    } catch {
      throw new SiftError('INVALID_FILTER', '--filter-json is not valid JSON');
    }
    if (typeof tree !== 'object' || tree === null || Array.isArray(tree))
      throw new SiftError('INVALID_FILTER', '--filter-json must be a JSON filter tree object');
    return tree as Record<string, unknown>;
  }
  return opts.filter ?? null;
}

export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description('create, list and revoke API keys; derive scoped search keys');
  const out = (s = '') => ctx.stdout.write(s + '\n');
  const withKeys = <T>(
    fn: (keys: ApiKeys) => Promise<T>,
    opts?: { readOnly?: boolean; whenNoData?: () => T },
  ) => ctx.withService((service) => fn(new ApiKeys(new EngineKeyStore(service.engine), 0)), opts);

  keys
    .command('create')
    .description('create an API key; its secret is printed once and never stored')
    .requiredOption('-n, --name <name>', 'what the key is for (shown in listings)')
    .requiredOption('-s, --scope <scopes>', 'search, write, admin (repeat or comma-separate)', collectList)
    .option('-i, --index <indexes>', 'allow only these indexes (repeat or comma-separate)', collectList)
    .option('-e, --expires <when>', 'expiry: a duration (8h, 30d, 2w) or an ISO-8601 date; default never')
    .option('--json', 'print the key as JSON')
    .action(
      async (opts: { name: string; scope: string[]; index?: string[]; expires?: string; json?: boolean }) => {
        const expiresAt = opts.expires ? parseExpiry(opts.expires, '--expires') : null;
        const { key, view } = await withKeys((k) =>
          k.create({ name: opts.name, scopes: opts.scope, indexes: opts.index ?? null, expiresAt }),
        );
        if (opts.json) {
          out(JSON.stringify({ ...view, key }, null, 2));
          return;
        }
        const c = colors(ctx.stdout);
        out(`created API key ${view.id} "${view.name}" (scopes: ${view.scopes.join(' ')})`);
        out();
        out(`  ${c.bold(key)}`);
        out();
        out(c.yellow('Store it now: the secret is shown only once.'));
      },
    );

  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--json', 'print the keys as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withKeys((k) => k.list(), { readOnly: true, whenNoData: () => [] });
      if (opts.json) {
        out(JSON.stringify({ keys: list }, null, 2));
        return;
      }
      if (list.length === 0) {
        out('no API keys; create one with "sift keys create --name <name> --scope search"');
        return;
      }
      out(
        renderTable(['id', 'name', 'scopes', 'indexes', 'status', 'created', 'expires'], keyRows(list), {
          stream: ctx.stdout,
        }),
      );
    });

  keys
    .command('revoke')
    .description('revoke an API key; every server refuses it within AUTH_KEY_CACHE_SECONDS')
    .argument('<id>', 'key id (the part after "sk_" in the key, as listed)')
    .option('--json', 'print the key as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const view = await withKeys((k) => k.revoke(id));
      out(opts.json ? JSON.stringify(view, null, 2) : `revoked API key ${view.id} "${view.name}"`);
    });

  keys
    .command('scoped')
    .description('derive a scoped search key: a filter, indexes and an expiry signed in, not removable')
    .requiredOption(
      '-p, --parent <key>',
      'the parent: a full API key (signed offline, no data access) or a key id (read from the key store)',
    )
    .option('-f, --filter <expression>', 'filter expression every search of the key is restricted to')
    .option('--filter-json <tree>', 'the filter as a JSON filter tree instead')
    .option('-i, --indexes <indexes>', 'allow only these indexes (within the parent allowlist)', collectList)
    .requiredOption('-e, --expires <when>', 'expiry: a duration (1h, 7d) or an ISO-8601 date')
    .option('--json', 'print the key as JSON')
    .action(
      async (opts: {
        parent: string;
        filter?: string;
        filterJson?: string;
        indexes?: string[];
        expires: string;
        json?: boolean;
      }) => {
        const filter = filterOption(opts);
        const expiresAt = parseExpiry(opts.expires, '--expires');
        const indexes = opts.indexes ?? null;
        let key: string;
        let parentId: string;
        const full = parseApiKey(opts.parent);
        if (full) {
          // Offline: the parent's scopes, allowlist, expiry and revocation are still enforced when the key is used.
          if (filter !== null) parseFilterInput(filter);
          parentId = full.id;
          key = encodeScopedKey(
            {
              v: 1,
              k: full.id,
              e: Math.floor(expiresAt / 1000),
              ...(filter !== null && filter !== '' ? { f: filter } : {}),
              ...(indexes ? { i: indexes } : {}),
            },
            scopedSigningKey(full.secret),
          );
        } else {
          parentId = opts.parent;
          const parent: StoredKey | null = await withKeys((k) => k.store.get(opts.parent), {
            readOnly: true,
            whenNoData: () => null,
          });
          if (!parent)
            throw new SiftError('KEY_NOT_FOUND', `API key "${opts.parent}" does not exist`, {
              id: opts.parent,
            });
          key = deriveScopedKey(parent, { filter, indexes, expiresAt });
        }
        const expires_at = new Date(Math.floor(expiresAt / 1000) * 1000).toISOString();
        if (opts.json) out(JSON.stringify({ key, parent: parentId, indexes, expires_at }, null, 2));
        else {
          out(`scoped search key of ${parentId}, expires ${expires_at}:`);
          out();
          out(`  ${key}`);
        }
      },
    );
}
