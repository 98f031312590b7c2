import { spawn } from 'node:child_process';
import { ROOT } from './cli.js';
import { nodeArgs } from './compiled.js';

export interface DeployRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (the commands were given --json). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs `sift deploy ...` as a real child process, asynchronously: the test process keeps serving (the pod runner
 * plays the kubelet; a load generator keeps sending) while the CLI works. `onStart` gets the child, e.g. to send
 * it SIGINT mid-release.
 */
export function deployCli(
  args: string[],
  opts: {
    timeoutMs?: number;
    env?: Record<string, string>;
    onStart?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<DeployRun> {
  const child = spawn(process.execPath, nodeArgs('bin/sift.ts', 'deploy', ...args), {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A session of its own, as an operator's terminal runs it (see runNginx in ./nginx.ts): its probes' timers
    // measure the release, not the share of CPU the test workers leave it.
    detached: true,
  });
  opts.onStart?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `sift deploy ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`not JSON (exit ${code}):\n${stdout}\nstderr: ${stderr}`);
          }
        },
      });
    });
  });
}
