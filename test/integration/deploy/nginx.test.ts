import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_DEFAULTS } from '../../../src/config/defaults.js';
import { readText } from '../../support/files.js';
import { tempDir } from '../../support/temp-dir.js';
import { nginxPrefix, startNginx, type Nginx } from '../../support/nginx.js';
import { startSift, type SiftProcess } from '../../support/sift-process.js';
import { ensureTool, runTool } from '../../support/tools.js';

const seconds = (v: string) => {
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) throw new Error(`not an nginx time: ${v}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
};

describe('nginx configuration', { timeout: 600_000 }, () => {
  let nginx: string;
  const dirs: { remove(): void }[] = [];
  beforeAll(async () => {
    nginx = await ensureTool('nginx');
  }, 600_000);
  afterAll(() => dirs.forEach((d) => d.remove()));

  const check = async (edit?: (conf: string) => string) => {
    const dir = tempDir('sift-nginx-t-');
    dirs.push(dir);
    const p = nginxPrefix(dir.path, { port: 18080, upstreams: ['127.0.0.1:18000'], edit });
    return runTool(nginx, ['-t', '-p', p.prefix, '-c', p.conf]);
  };

  it('passes `nginx -t`', async () => {
    const r = await check();
    expect(r.stderr).toContain('test is successful');
    expect(r.code).toBe(0);
  });

  it('fails `nginx -t` for a broken copy', async () => {
    const r = await check((conf) =>
      conf.replace('proxy_cache sift_search_cache;', 'proxy_cache no_such_zone;'),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no_such_zone/);
  });

  it("closes idle upstream connections before Sift's keep-alive timeout does", () => {
    const conf = readText('deploy/nginx/nginx.conf');
    const upstream = /upstream sift \{([\s\S]*?)\n {2}\}/.exec(conf)?.[1] ?? '';
    const idle = /keepalive_timeout (\S+);/.exec(upstream)?.[1];
    expect(idle).toBeDefined();
    expect(upstream).toMatch(/keepalive \d+;/);
    expect(seconds(idle!) * 1000).toBeLessThan(Number(BASE_DEFAULTS.KEEP_ALIVE_TIMEOUT_MS));
  });

  it('names the active colour in the include the blue-green tooling switches', () => {
    const active = readText('deploy/nginx/upstream.d/sift-active.conf');
    expect(active).toMatch(/^# active: (blue|green)$/m);
    const colour = /^# active: (\w+)$/m.exec(active)![1];
    const servers = [...active.matchAll(/^server (\S+?):\d+/gm)].map((m) => m[1]);
    expect(servers.length).toBeGreaterThan(0);
    for (const s of servers) expect(s).toBe(`sift-${colour}`);
  });
});

describe('nginx in front of a real Sift', { timeout: 600_000 }, () => {
  const data = tempDir('sift-nginx-data-');
  const prefix = tempDir('sift-nginx-e2e-');
  let sift: SiftProcess;
  let nginx: Nginx | undefined;
  let base: string;

  beforeAll(async () => {
    // Sift's keep-alive (3 s) stays above nginx's upstream idle timeout (2 s), as in production (65 s vs 60 s).
    sift = await startSift({
      dataDir: data.path,
      env: { LOAD_SAMPLE_DATA: 'true', KEEP_ALIVE_TIMEOUT_MS: '3000' },
    });
    nginx = await startNginx(prefix.path, [`127.0.0.1:${sift.port}`], { upstreamKeepaliveTimeout: '2s' });
    base = nginx.url;
  }, 600_000);

  afterAll(async () => {
    await nginx?.stop();
    await sift?.stop();
    const err = join(prefix.path, 'error.log');
    if (existsSync(err)) {
      const text = readFileSync(err, 'utf8');
      if (/\[(crit|alert|emerg)\]/.test(text)) console.error(text);
    }
    data.remove();
    prefix.remove();
  });

  it('passes /health/ready through', async () => {
    const res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('caches a search: MISS, then HIT, and credentials bypass the cache', async () => {
    const url = `${base}/api/search?q=react&size=3`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache-status')).toBe('MISS');
    const body = await first.text();
    const second = await fetch(url);
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(await second.text()).toBe(body);
    const withAuth = await fetch(url, { headers: { authorization: 'Bearer x' } });
    expect(withAuth.headers.get('x-cache-status')).toBe('BYPASS');
  });

  it('sends the security headers on success and on errors', async () => {
    for (const path of ['/api/search?q=vue', '/api/indexes/no-such-index/search?q=x', '/health/live']) {
      const res = await fetch(`${base}${path}`);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      // One copy of each, not Sift's plus nginx's.
      expect(res.headers.get('x-frame-options')).not.toContain(',');
      await res.arrayBuffer();
    }
  });

  it('hides /metrics from the public side', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it('answers 429 past the per-client rate limit', async () => {
    // 200 at once: the search zone allows 20 r/s with a burst of 40, so well over 100 must be refused even if
    // this machine needed several seconds to send them.
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${base}/api/search?q=limit${i % 5}`).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(100);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  });

  it('never answers 502 across keep-alive idle gaps longer than the upstream idle timeout', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // let the rate limit refill
    const statuses: number[] = [];
    for (const gapMs of [2500, 3500, 2200]) {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${base}/health/live`);
        await r.arrayBuffer();
        statuses.push(r.status);
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
    const r = await fetch(`${base}/api/suggest?q=rea`);
    await r.arrayBuffer();
    statuses.push(r.status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const log = readFileSync(join(prefix.path, 'access.log'), 'utf8');
    expect(log).not.toMatch(/" 502 /);
  });
});
