import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../../config/config.js';
import type { CliContext } from '../context.js';

interface ServeOptions {
  port?: number;
  host?: string;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535');
  }
  return n;
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'run the HTTP API with WORKERS worker processes (SIGHUP: rolling restart; SIGTERM or Ctrl-C: drain and exit)',
    )
    .option('-p, --port <n>', 'TCP port (overrides PORT)', parsePort)
    .option('--host <host>', 'interface to listen on (overrides HOST)')
    .action(async (opts: ServeOptions) => {
      const base = ctx.config();
      const config: Config = Object.freeze({
        ...base,
        ...(opts.port !== undefined ? { PORT: opts.port } : {}),
        ...(opts.host !== undefined ? { HOST: opts.host } : {}),
      });
      // Loaded on demand so the other commands do not pay for the HTTP stack at startup. The worker pool's primary
      // forks WORKERS workers that re-run this same command line; SIGHUP replaces them one at a time.
      const { runWorkerPool } = await import('../../workers/pool.js');
      await runWorkerPool(config);
      // The primary and the workers own SIGTERM/SIGINT: they drain, close the engine and exit the process
      // themselves, so this command never returns while the server runs.
      await new Promise<never>(() => undefined);
    });
}
