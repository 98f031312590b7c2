import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { SiftError } from '../../../errors.js';

/**
 * Sift instances are detached processes (their own session and process group, output to a log file) so they keep
 * serving after the deploying CLI exits; the state file remembers their pids. A pid alone can be reused by an
 * unrelated process after ours exits, so where Linux's /proc is available the process start time is recorded with
 * it and must match.
 */

export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22), or null where /proc is unavailable. */
  readonly startTicks: string | null;
}

export interface SpawnSpec {
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string | undefined;
  readonly logFile: string;
}

/** Children started by this process: kept so Node reaps them (no zombies) and so their exit code is known. */
const children = new Map<number, { child: ChildProcess; exit: string | null }>();

interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  readonly startTicks: string;
}

function procStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), startTicks: fields[19]! };
  } catch {
    return null;
  }
}

const hasProc = (() => {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
})();

export function identify(pid: number): ProcessIdentity {
  return { pid, startTicks: procStat(pid)?.startTicks ?? null };
}

/** True while the process exists, is not a zombie, and (when known) started when we recorded. */
export function isAlive(id: ProcessIdentity): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return true;
  const stat = procStat(id.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return id.startTicks === null || stat.startTicks === id.startTicks;
}

/** Pids whose parent is `ppid` (an nginx master's workers and cache processes). Linux only. */
export function childPids(ppid: number): number[] {
  if (!hasProc) {
    throw new SiftError(
      'DEPLOY_UNSUPPORTED',
      'the host target needs /proc (Linux) to see nginx workers and confirm reloads',
    );
  }
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.ppid === ppid && stat.state !== 'Z') out.push(Number(name));
  }
  return out;
}

/** Inodes of the TCP sockets in LISTEN state in this network namespace; only those on `port` when given. */
function listeningInodes(port?: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port === undefined ? null : port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode; st 0A is LISTEN.
      if (f[3] !== '0A' || !f[9]) continue;
      if (hexPort === null || f[1]?.endsWith(`:${hexPort}`)) inodes.add(f[9]);
    }
  }
  return inodes;
}

/**
 * Whether `pid` still holds a listening TCP socket (so it may accept new connections). An nginx worker told to
 * shut down gracefully closes its listening sockets first and then finishes the connections it has; until it
 * does, it can still take new connections and serve them with the old configuration. Linux only.
 */
export function holdsListeningSocket(pid: number): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return false;
    throw new SiftError(
      'DEPLOY_TARGET_UNAVAILABLE',
      `cannot see the sockets of nginx worker ${pid} (${code}); run sift deploy as root or as nginx's user`,
    );
  }
  const listening = listeningInodes();
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m && listening.has(m[1]!)) return true;
  }
  return false;
}

/** The sockets `pid` has open, as socket inodes; empty when it is gone. */
function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // The descriptor closed while we read the list.
    }
  }
  return out;
}

/**
 * Whether the process `pid`, or one of its descendants (a wrapper script's child, a cluster's workers), listens
 * on TCP `port`. A readiness answer on an instance's port proves nothing until this holds: while the instance
 * still starts, another process may have taken the port, and its answers would let a stranger into nginx.
 * Always true where /proc is unavailable (nothing to check with).
 */
export function listensOn(pid: number, port: number): boolean {
  if (!hasProc) return true;
  const listening = listeningInodes(port);
  if (listening.size === 0) return false;
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    if (socketInodes(p).some((inode) => listening.has(inode))) return true;
    queue.push(...childPids(p));
  }
  return false;
}

/** What we know about how a process we started ended (`exited with code 1`), for messages. */
export function exitOf(pid: number): string | null {
  return children.get(pid)?.exit ?? null;
}

/** Starts a detached process writing to `logFile`; throws DEPLOY_INVALID when the command cannot run at all. */
export async function spawnDetached(spec: SpawnSpec): Promise<ProcessIdentity> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.command[0]!, spec.command.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const started = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (err) =>
      reject(
        new SiftError('DEPLOY_INVALID', `cannot start ${spec.command.join(' ')}: ${err.message}`, {
          command: spec.command,
        }),
      ),
    );
  });
  const entry = { child, exit: null as string | null };
  children.set(started, entry);
  child.once('exit', (code, signal) => {
    entry.exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  // The CLI must be free to exit while the instance keeps running.
  child.unref();
  return identify(started);
}

async function waitGone(id: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(id)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * SIGTERM (Sift stops accepting, finishes in-flight requests and exits), then SIGKILL to the whole process group
 * once `timeoutMs` passes. Resolves with how it ended.
 */
export async function stopProcess(
  id: ProcessIdentity,
  timeoutMs: number,
): Promise<'gone' | 'terminated' | 'killed'> {
  if (!isAlive(id)) return 'gone';
  try {
    process.kill(id.pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  if (await waitGone(id, timeoutMs)) return 'terminated';
  for (const target of [-id.pid, id.pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // the group or the process is already gone
    }
  }
  await waitGone(id, 5_000);
  return 'killed';
}
