import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../../config/config.js';
import type { CliContext } from '../main.js';

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
    .description('run the HTTP API (stops on SIGTERM or Ctrl-C)')
    .option('-p, --port <n>', 'TCP port (overrides PORT)', parsePort)
    .option('--host <host>', 'interface to listen on (overrides HOST)')
    .action(async (opts: ServeOptions) => {
      const base = ctx.config();
      const config: Config = Object.freeze({
        ...base,
        ...(opts.port !== undefined ? { PORT: opts.port } : {}),
        ...(opts.host !== undefined ? { HOST: opts.host } : {}),
      });
      // Loaded on demand so the other commands do not pay for the HTTP stack at startup.
      const { startServer } = await import('../../server.js');
      const server = await startServer(config);
      ctx.stderr.write(`sift ${config.VERSION} listening on ${server.url} (data: ${config.DATA_DIR})\n`);
      // The server handles SIGTERM itself; Ctrl-C stops it the same graceful way.
      await new Promise<void>((resolve, reject) => {
        const onSigint = () => {
          process.off('SIGINT', onSigint);
          server.stop().then(resolve, reject);
        };
        process.on('SIGINT', onSigint);
      });
    });
}
