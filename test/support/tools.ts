import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

const run = promisify(execFile);

export type Tool =
  | 'nginx'
  | 'haproxy'
  | 'promtool'
  | 'prometheus'
  | 'kubectl'
  | 'kubeconform'
  | 'helm'
  | 'actionlint'
  | 'k8s-schemas'
  | 'schemathesis';

/** Installs the tool through the project's own installer when missing and returns its path (last stdout line). */
export async function ensureTool(tool: Tool): Promise<string> {
  const { stdout } = await run('bash', ['scripts/tools/ensure.sh', tool], {
    cwd: ROOT,
    timeout: 20 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const path = stdout.trim().split('\n').at(-1);
  if (!path) throw new Error(`ensure.sh ${tool} printed no path`);
  return path;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool and returns its exit code and output instead of throwing on a non-zero exit. */
export async function runTool(
  bin: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(bin, args, {
      cwd: opts.cwd ?? ROOT,
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
      ...(opts.env ? { env: opts.env } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}
