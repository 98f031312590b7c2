import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY } from './files.js';

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
    opts.upstreams.map((a) => `server ${a} max_fails=3 fail_timeout=10s;\n`).join(''),
  );
  // Relative paths in the config (pid, cache) resolve against the prefix; as root, workers run as an
  // unprivileged user and must be able to write the cache and temp directories.
  for (const d of ['cache', 'client_body_temp', 'proxy_temp']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(dir, 0o755);
  for (const d of ['cache', 'client_body_temp', 'proxy_temp']) chmodSync(join(dir, d), 0o777);
  return { prefix: dir, conf: confPath };
}
