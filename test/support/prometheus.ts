import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, waitFor } from './net.js';
import { ensureTool } from './tools.js';

export interface PrometheusServer {
  readonly url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * The one way the tests start Prometheus: a real one on a free loopback port, with its files in `dir`. It scrapes
 * `targets` every second under job `sift` with the labels given (the `color` target label, as
 * deploy/prometheus/prometheus.yml sets it), or runs a whole `config` instead (the shipped one, adjusted).
 * `basicAuth` turns on Prometheus's own basic auth (web config with a bcrypt hash).
 */
export async function startPrometheus(
  opts: {
    dir: string;
    basicAuth?: { username: string; bcryptHash: string; password: string };
  } & (
    { targets: { address: string; labels: Record<string, string> }[] } | { config: Record<string, unknown> }
  ),
): Promise<PrometheusServer> {
  const bin = await ensureTool('prometheus');
  const config =
    'config' in opts
      ? opts.config
      : {
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          scrape_configs: [
            {
              job_name: 'sift',
              metrics_path: '/metrics',
              scrape_timeout: '1s',
              static_configs: opts.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
            },
          ],
        };
  writeFileSync(join(opts.dir, 'prometheus.yml'), stringify(config));
  const args = [
    `--config.file=${join(opts.dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(opts.dir, 'data')}`,
  ];
  const headers: Record<string, string> = {};
  if (opts.basicAuth) {
    writeFileSync(
      join(opts.dir, 'web.yml'),
      stringify({ basic_auth_users: { [opts.basicAuth.username]: opts.basicAuth.bcryptHash } }),
    );
    args.push(`--web.config.file=${join(opts.dir, 'web.yml')}`);
    headers.authorization = `Basic ${Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString('base64')}`;
  }
  const port = await freePort();
  args.push(`--web.listen-address=127.0.0.1:${port}`);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: PrometheusServer = {
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(async () => (await fetch(`${server.url}/-/ready`, { headers })).ok, 60_000);
  } catch (err) {
    await server.stop();
    throw new Error(`Prometheus did not get ready: ${(err as Error).message}\n${log}`);
  }
  return server;
}
