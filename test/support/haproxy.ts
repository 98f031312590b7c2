import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY } from './files.js';
import { waitFor } from './net.js';
import { ensureTool } from './tools.js';

/**
 * The one way the tests start HAProxy: the shipped configuration (deploy/haproxy/haproxy.cfg) copied into a
 * directory of the test's own, pointed at a loopback port and a runtime socket there, and run in the foreground
 * with the backend file the deploy tooling writes as its second file. Its request log goes to a file beside it.
 */

export interface HaproxyFiles {
  readonly dir: string;
  readonly conf: string;
  readonly socket: string;
  readonly backendFile: string;
  readonly log: string;
}

/** Copies the shipped configuration into `dir`: listen on 127.0.0.1:port, the runtime socket in `dir`. */
export function haproxyFiles(dir: string, port: number): HaproxyFiles {
  const conf = join(dir, 'haproxy.cfg');
  const socket = join(dir, 'admin.sock');
  cpSync(join(DEPLOY, 'haproxy', 'haproxy.cfg'), conf);
  const shipped = readFileSync(conf, 'utf8');
  const edited = shipped
    .replace(/^(\s*)bind :80$/m, `$1bind 127.0.0.1:${port}`)
    .replace(/stats socket \S+/, `stats socket ${socket}`);
  if (!edited.includes(`127.0.0.1:${port}`) || !edited.includes(socket)) {
    throw new Error('bind :80 or stats socket not found in the shipped haproxy.cfg');
  }
  writeFileSync(conf, edited);
  return { dir, conf, socket, backendFile: join(dir, 'sift-backend.cfg'), log: join(dir, 'access.log') };
}

export interface Haproxy {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs HAProxy in the foreground (`-db`: no daemon, no master process, so it cannot be reloaded behind the
 * test's back) on prepared files, and waits until it answers `/haproxy-health`.
 */
export async function runHaproxy(f: HaproxyFiles, port: number): Promise<Haproxy> {
  const bin = await ensureTool('haproxy');
  const out = openSync(f.log, 'a');
  const err = openSync(join(f.dir, 'haproxy.err'), 'a');
  // A session of its own, as a system service runs (see runNginx in ./nginx.ts).
  const child = spawn(bin, ['-db', '-f', f.conf, '-f', f.backendFile], {
    stdio: ['ignore', out, err],
    detached: true,
  });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const haproxy: Haproxy = {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      // SIGUSR1: soft stop, connections in progress finish.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGUSR1');
      await exited;
    },
  };
  try {
    await waitFor(async () => (await fetch(`${haproxy.url}/haproxy-health`)).ok, 20_000);
  } catch (e) {
    await haproxy.stop();
    throw new Error(`${(e as Error).message}\n${readFileSync(join(f.dir, 'haproxy.err'), 'utf8')}`);
  }
  return haproxy;
}
