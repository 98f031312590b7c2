import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostConfig } from '../../../src/rollout/platform/host/config.js';
import { identify, listensOn } from '../../../src/rollout/platform/host/processes.js';
import { waitInstanceReady } from '../../../src/rollout/targets/host/launch.js';
import { freePort, waitFor } from '../../support/net.js';

/**
 * A new instance is ready only when its own process answers on its port. Real processes and real sockets: a
 * stranger holding the port while the instance starts (another program that took the free port first) must not
 * let the instance into nginx on the stranger's answers.
 */

const readyServer = (port: number): Promise<Server> =>
  new Promise((resolve) => {
    const s = createServer((_req, res) => res.writeHead(200).end('ok'));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

const config = (timeoutMs: number) =>
  ({
    host: '127.0.0.1',
    readiness: { path: '/health/ready', timeoutMs, intervalMs: 50, probeTimeoutMs: 1_000 },
  }) as unknown as HostConfig;

/** Waits for readiness of the instance `pid` on `port`, as the host target does before letting it into nginx. */
const readiness = (port: number, pid: number, timeoutMs: number, seen: string[] = []) =>
  waitInstanceReady(
    config(timeoutMs),
    'blue-test',
    port,
    identify(pid),
    'instance.log',
    new AbortController().signal,
    (detail) => seen.push(detail),
  );

/**
 * A child that listens on `port` after `delayMs`, run behind a shell that does not exec (a wrapper script), in
 * a process group of its own so that `stop` ends the listener too, not only the shell.
 */
const wrappedListener = (port: number, delayMs: number): { child: ChildProcess; stop: () => void } => {
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      `"${process.execPath}" -e 'setTimeout(() => require("node:http").createServer((q, s) => s.end("ok")).listen(${port}, "127.0.0.1"), ${delayMs})'; true`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return { child, stop };
};

describe('instance readiness checks who answers', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('sees which process, or which descendant, listens on a port', async () => {
    const port = await freePort();
    const server = await readyServer(port);
    cleanup.push(() => new Promise((r) => server.close(r)));
    expect(listensOn(process.pid, port)).toBe(true);
    expect(listensOn(process.pid, await freePort())).toBe(false);

    const other = await freePort();
    const { child, stop } = wrappedListener(other, 0);
    cleanup.push(stop);
    await waitFor(async () => listensOn(child.pid!, other), 10_000);
    // The shell holds no socket itself; its child does.
    expect(listensOn(child.pid!, other)).toBe(true);
    expect(listensOn(child.pid!, port)).toBe(false);
  });

  it('does not take a stranger answering 200 on the port for the instance', async () => {
    const port = await freePort();
    const stranger = await readyServer(port);
    cleanup.push(() => new Promise((r) => stranger.close(r)));
    // The instance is alive but never listens: every 200 on its port comes from the stranger.
    const instance = spawn('sleep', ['30']);
    cleanup.push(() => instance.kill('SIGKILL'));
    const r = await readiness(port, instance.pid!, 1_000);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(`port ${port} is answered by another process`);
  });

  it('is ready once the instance itself listens', async () => {
    const port = await freePort();
    const { child: instance, stop } = wrappedListener(port, 300);
    cleanup.push(stop);
    expect(await readiness(port, instance.pid!, 20_000)).toEqual({ ok: true });
  });
});
