import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSiftError } from '../../../errors.js';
import { colorOfPort, loadHostConfig, parseHostConfig } from './config.js';
import { spawnSpec } from '../../targets/host/launch.js';
import { tempHostConfig } from '../../../../test/support/rollout-host/temp-host-config.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (isSiftError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('host config', () => {
  const made: { remove(): void }[] = [];
  const temp = (o?: Record<string, unknown>) => {
    const t = tempHostConfig(o);
    made.push(t);
    return t;
  };
  afterEach(() => made.splice(0).forEach((t) => t.remove()));

  it('fills defaults and resolves paths against the file, the pid file from the conf (relative to the prefix)', () => {
    const { config, dir } = temp();
    expect(config.nginx).toMatchObject({
      binary: 'nginx',
      prefix: dir,
      conf: join(dir, 'nginx.conf'),
      pidFile: join(dir, 'run/nginx.pid'),
      upstreamFile: join(dir, 'sift-active.conf'),
      frontDoor: 'http://127.0.0.1:8080',
    });
    expect(config.instances).toBe(2);
    expect(config.readiness).toMatchObject({ path: '/health/ready', timeoutMs: 60_000 });
    expect(config.stateDir).toBe(join(dir, 'state'));
    expect(config.releases).toBeNull();
    expect(colorOfPort(config, 8202)).toBe('green');
    expect(colorOfPort(config, 9999)).toBeNull();
  });

  it('fills the templates of an instance: release, port, colour', () => {
    const { config } = temp({
      releases: { '2.0': { env: { WORKERS: '2', DATA_DIR: '/srv/{image}/{id}' } }, '1.0': null },
    });
    const spec = spawnSpec(config, 'green', 8202, '2.0');
    expect(spec.command).toEqual(['node', 'dist/bin/sift.js', 'serve']);
    expect(spec.env).toMatchObject({
      PORT: '8202',
      RELEASE: '2.0',
      WORKERS: '2',
      DATA_DIR: '/srv/2.0/green-8202',
    });
    expect(spec.logFile).toBe(join(config.stateDir, 'logs', 'green-8202.log'));
    expect(spawnSpec(config, 'blue', 8101, '1.0').env).toMatchObject({ DATA_DIR: '/var/lib/sift/blue-8101' });
  });

  it.each([
    [{ nginx: { frontDoor: 'http://127.0.0.1' } }, 'nginx.upstreamFile'],
    [{ ports: { blue: [8101, 8102], green: [8201, 8202, 8203] } }, 'ports.blue'],
    [{ ports: { blue: [8101, 8102, 8103], green: [8103, 8202, 8203] } }, 'ports.green.0'],
    [{ env: { DATA_DIR: '/var/{colour}' } }, 'env.DATA_DIR'],
    [{ command: [] }, 'command'],
    [{ drainSeconds: -1 }, 'drainSeconds'],
    [{ readiness: { path: 'health' } }, 'readiness.path'],
    [{ surprise: true }, 'document'],
    [{ router: 'envoy' }, 'router'],
    [{ router: 'haproxy' }, 'haproxy'],
    [{ haproxy: { socket: 's', backendFile: 'b', frontDoor: 'http://127.0.0.1' } }, 'haproxy'],
    [
      {
        router: 'haproxy',
        nginx: undefined,
        haproxy: { socket: 's', backendFile: 'b', frontDoor: 'ftp://x' },
      },
      'haproxy.frontDoor',
    ],
    [
      {
        router: 'haproxy',
        nginx: undefined,
        haproxy: { socket: 's', backendFile: 'b', backend: 'a b', frontDoor: 'http://127.0.0.1' },
      },
      'haproxy.backend',
    ],
  ])('refuses %j naming %s', (override: Record<string, unknown>, key) => {
    // A shallow merge: an `nginx` override replaces the whole section.
    const raw = { ...temp().raw, ...override };
    const r = refusal(() => parseHostConfig(raw, '/', 'host.yaml'));
    expect(r.code).toBe('DEPLOY_INVALID');
    expect(r.message).toContain(key === 'document' ? 'host.yaml' : key);
  });

  it('routes through HAProxy with a haproxy section instead of nginx', () => {
    const { config, dir } = temp({
      router: 'haproxy',
      nginx: undefined,
      haproxy: {
        socket: 'run/admin.sock',
        backendFile: 'sift-backend.cfg',
        frontDoor: 'http://127.0.0.1:81/',
      },
    });
    expect(config.router).toBe('haproxy');
    expect(config.nginx).toBeNull();
    expect(config.haproxy).toEqual({
      socket: join(dir, 'run/admin.sock'),
      backendFile: join(dir, 'sift-backend.cfg'),
      backend: 'sift',
      frontDoor: 'http://127.0.0.1:81',
      commandTimeoutMs: 5_000,
    });
    expect(config.frontDoor).toBe('http://127.0.0.1:81');
    // nginx stays the default router.
    expect(temp().config).toMatchObject({
      router: 'nginx',
      haproxy: null,
      frontDoor: 'http://127.0.0.1:8080',
    });
  });

  it('needs a pid file to confirm reloads', () => {
    const { raw, dir } = temp();
    writeFileSync(join(dir, 'nginx.conf'), 'events {}\n');
    const r = refusal(() => parseHostConfig(raw, dir, 'host.yaml'));
    expect(r).toMatchObject({ code: 'DEPLOY_INVALID' });
    expect(r.message).toContain('nginx.pidFile');
  });

  it('reads YAML from --host-config and names a missing file', () => {
    const { dir } = temp();
    const file = join(dir, 'host.yaml');
    writeFileSync(
      file,
      [
        'nginx: { pidFile: run/nginx.pid, upstreamFile: up.conf, frontDoor: "http://127.0.0.1:80" }',
        'instances: 1',
        'ports: { blue: [9001, 9002], green: [9011, 9012] }',
        'command: [sift, serve]',
        'stateDir: state',
      ].join('\n'),
    );
    const config = loadHostConfig(file);
    expect(config.instances).toBe(1);
    expect(config.nginx!.pidFile).toBe(join(dir, 'run/nginx.pid'));
    const missing = refusal(() => loadHostConfig(join(dir, 'nope.yaml')));
    expect(missing.code).toBe('DEPLOY_INVALID');
    expect(missing.message).toContain('nope.yaml');
  });
});
