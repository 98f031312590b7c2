import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Children still running, killed on the way out of this process whatever happens. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export interface ServerChild {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/**
 * Starts `node [nodeArgs] --import tsx <script>` (a path relative to the repository) with `env` added to this environment,
 * and waits (at most `timeoutMs`) for the `SIFT_URL <url>` line it prints once listening. Its stdin stays open:
 * the child exits when this process goes away.
 */
export async function startChild(
  script: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<ServerChild> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 20_000) stderr += s;
  });

  const stop = async (graceMs = 10_000) => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited(proc);
      clearTimeout(timer);
    }
    proc.stdin?.destroy();
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${script} did not report its URL within ${timeoutMs} ms\n${stderr}`)),
        timeoutMs,
      );
      proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
        if (out.length < 100_000) out += s;
        const m = /^SIFT_URL (\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code ?? signal}) before listening\n${stderr}`));
      });
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    // Keep draining stdout (warn-level logs) so the child never blocks on a full pipe.
    proc.stdout!.removeAllListeners('data');
    proc.stdout!.resume();
    return { url, pid: proc.pid!, stop };
  } catch (err) {
    await stop(2000);
    throw err;
  }
}
