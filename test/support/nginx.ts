import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY } from './files.js';
import { freePort, waitFor } from './net.js';
import { ensureTool } from './tools.js';

/**
 * The one way the tests start nginx: the shipped configuration (deploy/nginx) copied into a prefix of the test's
 * own (nginxPrefix), run in the foreground (runNginx), or both at once in front of some upstreams (startNginx).
 */

export interface NginxPrefix {
  prefix: string;
  conf: string;
}

/**
 * Copies deploy/nginx into `dir` and points it at this machine: listen on 127.0.0.1:port, the upstream at the
 * given Sift addresses, an optional shorter upstream keepalive_timeout (so the idle-gap test is short), and
 * `edit` for deliberately broken copies. Everything else is the shipped configuration, byte for byte.
 */
export function nginxPrefix(
  dir: string,
  opts: {
    port: number;
    upstreams: string[];
    upstreamKeepaliveTimeout?: string;
    edit?: (conf: string) => string;
  },
): NginxPrefix {
  const confDir = join(dir, 'conf');
  cpSync(join(DEPLOY, 'nginx'), confDir, { recursive: true });
  const confPath = join(confDir, 'nginx.conf');
  let conf = readFileSync(confPath, 'utf8')
    .replace(/listen 80 default_server;/, `listen 127.0.0.1:${opts.port} default_server;`)
    // Logs to files in the prefix: the test reads them when something fails.
    .replace(/access_log \/dev\/stdout/g, `access_log ${join(dir, 'access.log')}`)
    .replace(/error_log stderr/, `error_log ${join(dir, 'error.log')}`);
  if (opts.upstreamKeepaliveTimeout) {
    conf = conf.replace(
      /(upstream sift \{[\s\S]*?keepalive_timeout )\S+;/,
      `$1${opts.upstreamKeepaliveTimeout};`,
    );
  }
  writeFileSync(confPath, opts.edit ? opts.edit(conf) : conf);
  writeFileSync(
    join(confDir, 'upstream.d/sift-active.conf'),
    opts.upstreams.map((a) => `server ${a} max_fails=3 fail_timeout=2s;\n`).join(''),
  );
  // Relative paths in the config (pid, cache) resolve against the prefix; as root, workers run as an
  // unprivileged user and must be able to write the cache and temp directories.
  for (const d of ['cache', 'client_body_temp', 'proxy_temp']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(dir, 0o755);
  for (const d of ['cache', 'client_body_temp', 'proxy_temp']) chmodSync(join(dir, d), 0o777);
  return { prefix: dir, conf: confPath };
}

export interface Nginx {
  readonly url: string;
  readonly child: ChildProcess;
  /** Graceful stop (SIGQUIT); resolves once nginx has exited. */
  stop(): Promise<void>;
}

/** Runs nginx in the foreground on a prepared prefix and waits until it answers `/nginx-health` on `port`. */
export async function runNginx(p: NginxPrefix, port: number): Promise<Nginx> {
  const bin = await ensureTool('nginx');
  // A session of its own, as a system service runs: the kernel shares CPU between sessions (autogroups) before
  // it shares a session's among its processes. In the test run's session, nginx would share one group's slice
  // with every test worker while each Sift instance (detached by the host target) has a group to itself; on a
  // busy CI machine the proxy then starved, and its replaced workers outlived the drain.
  const child = spawn(bin, ['-p', p.prefix, '-c', p.conf, '-g', 'daemon off;'], {
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const nginx: Nginx = {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
  try {
    await waitFor(async () => (await fetch(`${nginx.url}/nginx-health`)).ok, 20_000);
  } catch (err) {
    await nginx.stop();
    const log = join(p.prefix, 'error.log');
    throw new Error(`${(err as Error).message}\n${readLog(log)}`);
  }
  return nginx;
}

const readLog = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/**
 * The shipped nginx configuration on a free loopback port in front of `upstreams`. `retry503: false` drops 503
 * from `proxy_next_upstream`, so a failing instance's answers reach the client instead of being retried on the
 * next one (which the shipped configuration does).
 */
export async function startNginx(
  dir: string,
  upstreams: string[],
  opts: { retry503?: boolean; upstreamKeepaliveTimeout?: string } = {},
): Promise<Nginx> {
  const port = await freePort();
  const p = nginxPrefix(dir, { port, upstreams, upstreamKeepaliveTimeout: opts.upstreamKeepaliveTimeout });
  if (opts.retry503 === false) {
    const proxyConf = join(dir, 'conf/snippets/proxy.conf');
    const shipped = readFileSync(proxyConf, 'utf8');
    const edited = shipped.replace(/proxy_next_upstream [^;]*;/, 'proxy_next_upstream error timeout;');
    if (edited === shipped) throw new Error('proxy_next_upstream not found in the shipped proxy.conf');
    writeFileSync(proxyConf, edited);
  }
  return runNginx(p, port);
}
