import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cliEnv, ROOT } from './cli.js';
import { nodeArgs } from './compiled.js';

/**
 * The one place the tests spawn Sift's server from source (the CLI is spawned by cli.ts): startSift for a server
 * with the CLI's test environment (deploy and rollout tests), spawnServer and spawnWorkerPool for a server or a
 * node:cluster primary with a clean development environment whose output the test reads (shutdown, durability,
 * workers).
 */

/** The fixture scripts: one server, and a node:cluster primary with its workers; each prints `SIFT_READY <url>`. */
const SERVE = fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url));
const WORKERS = fileURLToPath(new URL('./fixtures/workers.ts', import.meta.url));

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
    args: nodeArgs(SERVE),
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

export interface Child {
  proc: ChildProcess;
  url: string;
  /** Everything the child wrote, for failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the real server (fixtures/serve.ts) on an ephemeral port and waits until it listens. It starts from source
 * (TypeScript compiled on load): seconds on a quiet machine, but with four other test files spawning processes on
 * two cores it has taken over 30 s; 60 s matches the hook timeout.
 */
export function spawnServer(env: Record<string, string>, timeoutMs = 60_000): Promise<Child> {
  return spawnFixture(SERVE, 'server', env, timeoutMs);
}

/** Spawns the node:cluster fixture (primary + WORKERS workers) and waits until every worker listens. */
export function spawnWorkerPool(env: Record<string, string>, timeoutMs = 60_000): Promise<Child> {
  return spawnFixture(WORKERS, 'cluster', env, timeoutMs);
}

/**
 * Spawns a fixture script that prints `SIFT_READY <url>` once it serves, with a clean development environment
 * plus `env`, and waits for that line; a fixture that exits first fails with everything it printed.
 */
export async function spawnFixture(
  script: string,
  what: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Child> {
  const proc = spawn(process.execPath, nodeArgs(script), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ENVIRONMENT: 'development',
      HOST: '127.0.0.1',
      PORT: '0',
      LOAD_SAMPLE_DATA: 'false',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = () => {
      const m = /SIFT_READY (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      resolve(m[1]!);
    };
    proc.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited early (code ${code}, signal ${signal}):\n${out}`));
    });
  });
  return { proc, url, output: () => out, exited };
}

/** Kills a child that a failed test left running. */
export function killQuietly(child: Child | undefined): void {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
}
