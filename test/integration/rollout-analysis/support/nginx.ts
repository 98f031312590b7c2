import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '../../../support/net.js';
import { nginxPrefix } from '../../../support/nginx.js';
import { ensureTool } from '../../../support/tools.js';

export interface Nginx {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The shipped nginx configuration on a free loopback port in front of `upstreams`. `retry503: false` drops 503
 * from `proxy_next_upstream`, so a failing instance's answers reach the client instead of being retried on the
 * next one (which the shipped configuration does).
 */
export async function startNginx(
  dir: string,
  upstreams: string[],
  opts: { retry503?: boolean } = {},
): Promise<Nginx> {
  const bin = await ensureTool('nginx');
  const port = await freePort();
  const p = nginxPrefix(dir, { port, upstreams });
  if (opts.retry503 === false) {
    const proxyConf = join(dir, 'conf/snippets/proxy.conf');
    const shipped = readFileSync(proxyConf, 'utf8');
    const edited = shipped.replace(/proxy_next_upstream [^;]*;/, 'proxy_next_upstream error timeout;');
    if (edited === shipped) throw new Error('proxy_next_upstream not found in the shipped proxy.conf');
    writeFileSync(proxyConf, edited);
  }
  const child = spawn(bin, ['-p', p.prefix, '-c', p.conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const nginx: Nginx = {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
  try {
    await waitFor(async () => (await fetch(`${nginx.url}/nginx-health`)).ok, 20_000);
  } catch (err) {
    await nginx.stop();
    throw err;
  }
  return nginx;
}
