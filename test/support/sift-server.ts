import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cliEnv, ROOT } from './cli.js';

export interface SiftProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real Sift as a child process. `command` defaults to the test fixture that serves from source; the
 * Dockerfile test passes the image's own start command instead. Resolves once the server logs its URL.
 */
export async function startSift(opts: {
  dataDir: string;
  env?: Record<string, string>;
  command?: { bin: string; args: string[]; cwd: string };
  /** A line on stdout that carries the URL: `SIFT_READY <url>` (fixture) or the JSON log line with `url`. */
}): Promise<SiftProcess> {
  const command = opts.command ?? {
    bin: process.execPath,
    args: ['--import', 'tsx', 'test/support/fixtures/serve.ts'],
    cwd: ROOT,
  };
  const child = spawn(command.bin, command.args, {
    cwd: command.cwd,
    env: cliEnv(opts.dataDir, { HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'json', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Sift did not start in 90 s: ${stderr}`)), 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /^SIFT_READY (\S+)$/.exec(line);
      let url = ready?.[1];
      if (!url && line.startsWith('{')) {
        try {
          url = (JSON.parse(line) as { url?: string }).url;
        } catch {
          // not a log line
        }
      }
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Sift exited ${code} before listening: ${stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
