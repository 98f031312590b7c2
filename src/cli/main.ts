import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { isSiftError, SiftError } from '../errors.js';
import type { CliContext } from './context.js';
import { colors } from './format.js';

type Register = (program: Command, ctx: CliContext) => void;

/**
 * The command modules, in the order `sift --help` lists them, by the top-level commands each registers. A run
 * loads only the module of the command it was given (all of them for help, a version or an unknown command):
 * the deploy commands' modules alone take about 0.3 s to load, the service stack as much again, and a CLI run
 * paid for every command's before.
 */
const COMMANDS: { names: string[]; load: () => Promise<Register> }[] = [
  { names: ['serve'], load: async () => (await import('./commands/serve.js')).registerServeCommand },
  { names: ['import'], load: async () => (await import('./commands/import.js')).registerImportCommand },
  { names: ['export'], load: async () => (await import('./commands/export.js')).registerExportCommand },
  {
    names: ['documents'],
    load: async () => (await import('./commands/documents.js')).registerDocumentsCommands,
  },
  { names: ['index'], load: async () => (await import('./commands/index.js')).registerIndexCommands },
  { names: ['search'], load: async () => (await import('./commands/search.js')).registerSearchCommand },
  {
    names: ['multi-search'],
    load: async () => (await import('./commands/multi-search.js')).registerMultiSearchCommand,
  },
  { names: ['reindex'], load: async () => (await import('./commands/reindex.js')).registerReindexCommand },
  {
    names: ['snapshot'],
    load: async () => (await import('./commands/snapshot.js')).registerSnapshotCommands,
  },
  { names: ['keys'], load: async () => (await import('./commands/keys.js')).registerKeysCommands },
  { names: ['token'], load: async () => (await import('./commands/token.js')).registerTokenCommands },
  {
    names: ['analytics'],
    load: async () => (await import('./commands/analytics.js')).registerAnalyticsCommands,
  },
  { names: ['deploy'], load: async () => (await import('./commands/deploy.js')).registerDeployCommands },
];

/** The command a run asks for: its first argument that is neither an option nor the value of --data-dir. */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') i++;
    else if (a === '--') return argv[i + 1];
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** A read-only command on an embedded engine whose database file does not exist: opening would create it. */
async function embeddedDatabaseMissing(config: Config): Promise<boolean> {
  if (config.SEARCH_ENGINE !== 'embedded') return false;
  const { SqliteEngine } = await import('../engines/sqlite/engine.js');
  return !existsSync(new SqliteEngine({ dataDir: config.DATA_DIR }).path);
}

/** Exit codes: 0 success, 1 a Sift error or partial failure, 2 bad usage or bad configuration. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

function packageVersion(): string {
  // src/cli/main.ts -> ../../package.json; dist/src/cli/main.js -> ../../../package.json
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'sift' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** The program with the commands `argv` needs registered (all of them without argv). */
export async function buildProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
  const program = new Command('sift')
    .description('Sift: a search API service over an embedded search engine')
    .version(packageVersion(), '-V, --version')
    .option('--data-dir <dir>', 'data directory of the embedded engine (overrides DATA_DIR)')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(colors(ctx.stderr).red(s)),
    });
  const wanted = argv ? commandOf(argv) : undefined;
  const only = COMMANDS.filter((c) => wanted !== undefined && c.names.includes(wanted));
  const registers = await Promise.all((only.length ? only : COMMANDS).map((c) => c.load()));
  for (const register of registers) register(program, ctx);
  return program;
}

/**
 * An INDEX_NOT_FOUND says where the CLI looked and how to look elsewhere: the most common cause is running it
 * against another data directory (or cluster) than the server's.
 */
export function locatedError(err: unknown, config: Config, note?: string): unknown {
  if (!isSiftError(err) || err.code !== 'INDEX_NOT_FOUND') return err;
  const where =
    config.SEARCH_ENGINE === 'embedded'
      ? `in data directory "${resolve(config.DATA_DIR)}" (${note ? `${note}; ` : ''}choose another with --data-dir <dir> or DATA_DIR)`
      : `on the ${config.SEARCH_ENGINE} cluster ${config.ELASTICSEARCH_URL || `${config.ELASTICSEARCH_HOST}:${config.ELASTICSEARCH_PORT}`} (set by SEARCH_ENGINE and ELASTICSEARCH_URL)`;
  return new SiftError(err.code, `${err.message} ${where}`, {
    ...err.details,
    ...(config.SEARCH_ENGINE === 'embedded' ? { data_dir: resolve(config.DATA_DIR) } : {}),
  });
}

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * Runs the CLI on the user's arguments (argv without node and the script) and resolves with the exit code.
 * `serve` resolves only once the server has stopped.
 */
export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  let config: Config | undefined;
  const ctx: CliContext = {
    stdout,
    stderr,
    env,
    exitCode: EXIT.OK,
    config() {
      if (!config) {
        const dataDir = program.opts<{ dataDir?: string }>().dataDir;
        config = loadConfig(dataDir !== undefined ? { ...env, DATA_DIR: dataDir } : env);
      }
      return config;
    },
    async withService(fn, opts = {}) {
      const cfg = ctx.config();
      if (opts.readOnly && (await embeddedDatabaseMissing(cfg))) {
        try {
          if (opts.whenNoData) return opts.whenNoData();
          throw new SiftError('INDEX_NOT_FOUND', 'there is no index');
        } catch (err) {
          throw locatedError(err, cfg, 'no Sift database there yet');
        }
      }
      // Built like the server's stack: the same limits and cursor keys; with a shared Redis, the CLI's writes
      // invalidate what running servers cached, like theirs do.
      const [{ openSift }, { pino }] = await Promise.all([import('../compose.js'), import('pino')]);
      const sift = await openSift(cfg, {
        logger: pino({ level: 'warn' }, pino.destination(2)),
        answersFromCache: false,
        readThreads: false,
      });
      try {
        return await fn(sift.service, cfg);
      } catch (err) {
        throw locatedError(err, cfg);
      } finally {
        await sift.close();
      }
    },
  };
  const program = await buildProgram(ctx, argv);
  const c = colors(stderr);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; anything else is a usage error.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof ConfigError) {
      stderr.write(c.red('error: invalid configuration') + '\n');
      for (const p of err.problems) stderr.write(`  - ${p}\n`);
      return EXIT.USAGE;
    }
    if (isSiftError(err)) {
      stderr.write(c.red(`error ${err.code}: ${err.message}`) + '\n');
      return EXIT.FAILED;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
      // File system errors (a missing input or schema file) are the user's to fix, not a crash.
      stderr.write(c.red(`error: ${e.message}`) + '\n');
      return EXIT.FAILED;
    }
    stderr.write(c.red(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`) + '\n');
    return EXIT.FAILED;
  }
}
