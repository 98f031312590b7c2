import type { Command } from 'commander';
import { createSnapshotStore } from '../../engines/create-snapshots.js';
import { defaultSnapshotName, type SnapshotInfo, type SnapshotStore } from '../../engines/snapshots.js';
import type { CliContext } from '../context.js';
import { formatDuration, formatNumber, humanBytes, renderTable } from '../format.js';
import { snapshotProgress } from '../snapshot-progress.js';

interface JsonOption {
  json?: boolean;
}

const documents = (s: Pick<SnapshotInfo, 'indexes'>) => s.indexes.reduce((n, i) => n + i.documents, 0);

export function registerSnapshotCommands(program: Command, ctx: CliContext): void {
  const snapshot = program
    .command('snapshot')
    .description(
      'take, list and restore snapshots of every index (embedded: SNAPSHOT_DIR; clusters: SNAPSHOT_REPOSITORY)',
    );

  /** Opens the configured store, runs `fn` with a progress display on stderr, and closes both. */
  async function withStore<T>(
    opts: JsonOption & { into?: string },
    fn: (store: SnapshotStore, progress: ReturnType<typeof snapshotProgress>) => Promise<T>,
  ): Promise<T> {
    const store = await createSnapshotStore(
      ctx.config(),
      opts.into !== undefined ? { restoreInto: opts.into } : {},
    );
    const progress = snapshotProgress(ctx.stderr, { json: !!opts.json });
    try {
      return await fn(store, progress);
    } finally {
      progress.stop();
      await store.close();
    }
  }

  snapshot
    .command('create')
    .description('take a snapshot while the service goes on serving (a consistent copy of one instant)')
    .argument('[name]', 'the snapshot name (default: sift-<UTC time>)')
    .option('--json', 'print the snapshot as JSON')
    .action(async (name: string | undefined, opts: JsonOption) => {
      const info = await withStore(opts, (store, progress) =>
        store.create(name ?? defaultSnapshotName(), (p) => progress.update(p)),
      );
      if (opts.json) ctx.stdout.write(JSON.stringify(info, null, 2) + '\n');
      else
        ctx.stdout.write(
          `snapshot "${info.name}" taken: ${info.indexes.length} indexes, ${formatNumber(documents(info))} documents, ` +
            `${humanBytes(info.size_bytes)} in ${info.location}\n`,
        );
    });

  snapshot
    .command('list')
    .description('list the snapshots, oldest first')
    .option('--json', 'print the list as JSON')
    .action(async (opts: JsonOption) => {
      const list = await withStore(opts, (store) => store.list());
      if (opts.json) {
        ctx.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      if (list.length === 0) {
        ctx.stdout.write('no snapshots\n');
        return;
      }
      const rows = list.map((s) => [
        s.name,
        s.created_at,
        s.state,
        s.indexes.map((i) => i.name).join(', '),
        formatNumber(documents(s)),
        humanBytes(s.size_bytes),
      ]);
      ctx.stdout.write(
        renderTable(['name', 'created', 'state', 'indexes', 'documents', 'size'], rows, {
          stream: ctx.stdout,
          alignRight: [4, 5],
        }) + '\n',
      );
    });

  snapshot
    .command('restore')
    .description(
      'restore a snapshot: embedded, into a stopped service or a new data directory (--into); clusters, the indexes it holds',
    )
    .argument('<name>', 'the snapshot to restore')
    .option('--into <dir>', 'embedded engine: restore into this data directory instead of DATA_DIR')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: JsonOption & { into?: string }) => {
      const result = await withStore(opts, (store, progress) =>
        store.restore(name, (p) => progress.update(p)),
      );
      if (opts.json) ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else
        ctx.stdout.write(
          `snapshot "${result.snapshot}" restored into ${result.target}: ${result.indexes.length} indexes ` +
            `(${result.indexes.map((i) => i.name).join(', ')}), ${formatNumber(documents(result))} documents, ` +
            `in ${formatDuration(result.took_ms / 1000)}\n`,
        );
    });
}
