import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from './compiled.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'test/support/fixtures');
export const fixture = (name: string) => join(FIXTURES, name);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment the CLI runs in: the test's own data directory, quiet logs, no sample data, no colours. */
export function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Settings of the developer's shell must not leak into the test.
  for (const key of [
    'PORT',
    'HOST',
    'ENVIRONMENT',
    'DEFAULT_INDEX',
    'JWT_SECRET',
    'FORCE_COLOR',
    'NODE_OPTIONS',
  ])
    delete env[key];
  return {
    ...env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    LOAD_SAMPLE_DATA: 'false',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Runs the CLI (`bin/sift.ts ...args`, see compiled.ts) from the repository root. */
export function sift(
  dataDir: string,
  args: string[],
  opts: { input?: string | Buffer; env?: Record<string, string> } = {},
): RunResult {
  const r = spawnSync(process.execPath, nodeArgs('bin/sift.ts', ...args), {
    cwd: ROOT,
    env: cliEnv(dataDir, opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and parses its stdout as JSON, failing with the CLI's stderr when it did not succeed. */
export function siftJson<T = unknown>(
  dataDir: string,
  args: string[],
  opts: { input?: string | Buffer; expectCode?: number } = {},
): T {
  const r = sift(dataDir, args, opts);
  if (r.code !== (opts.expectCode ?? 0)) {
    throw new Error(`sift ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** Starts the CLI without waiting for it (for `serve`). */
export function siftSpawn(dataDir: string, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, nodeArgs('bin/sift.ts', ...args), {
    cwd: ROOT,
    env: cliEnv(dataDir, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
