import { describe, expect, it } from 'vitest';
import { parse as parseDotenv } from 'dotenv';
import { loadConfig } from '../../../src/config/config.js';
import { BASE_DEFAULTS } from '../../../src/config/defaults.js';
import { readText, readYaml } from '../../support/files.js';
import { execForm, parseDockerfile, stageEnv } from './support/dockerfile.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  user?: string;
  stop_signal?: string;
  stop_grace_period?: string;
  read_only?: boolean;
  ports?: string[];
  expose?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string };
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  env_file?: { path: string }[];
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = readYaml<{ services: Record<string, Service>; volumes: Record<string, unknown> }>(
  'deploy/compose/compose.yaml',
);
const services = compose.services;
const names = Object.keys(services);

describe('compose stack (parsed and cross-checked)', () => {
  it('has Sift (both colours), Elasticsearch, OpenSearch as a profile, Redis, nginx, Prometheus and Grafana', () => {
    expect(names.sort()).toEqual(
      [
        'elasticsearch',
        'grafana',
        'nginx',
        'opensearch',
        'prometheus',
        'redis',
        'sift-blue',
        'sift-green',
      ].sort(),
    );
    expect(services.opensearch!.profiles).toEqual(['opensearch']);
    expect(services['sift-green']!.profiles).toEqual(['green']);
    expect(services['sift-blue']!.profiles).toBeUndefined();
  });

  it('pins every image to an exact version and gives every service a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) {
      // Sift's own image is built from the Dockerfile (or named by the deploy in SIFT_IMAGE).
      if (name.startsWith('sift-')) expect(s.image).toBe('${SIFT_IMAGE:-sift:latest}');
      else expect(s.image, name).toMatch(/:v?\d+\.\d+\.\d+[\w.-]*$/);
      expect(s.healthcheck?.test, name).toBeDefined();
      expect(s.healthcheck?.interval, name).toMatch(/^\d+s$/);
    }
    expect(services['sift-blue']!.build).toMatchObject({ dockerfile: 'Dockerfile', target: 'runtime' });
  });

  it('publishes only nginx to the world; Prometheus and Grafana on loopback, the rest internal', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) {
        if (name === 'nginx') expect(p).toMatch(/^\d+:\d+$/);
        else expect(p, name).toMatch(/^127\.0\.0\.1:/);
      }
    }
    expect(services['sift-blue']!.ports).toBeUndefined();
    expect(services['sift-blue']!.expose).toEqual(['8000']);
  });

  it('orders startup with depends_on conditions on services that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
        expect(names, `${name} depends on ${dep}`).toContain(dep);
        expect(['service_healthy', 'service_started', 'service_completed_successfully']).toContain(
          cond.condition,
        );
        if (cond.condition === 'service_healthy') expect(services[dep]!.healthcheck, dep).toBeDefined();
      }
    }
    expect(services['sift-blue']!.depends_on!.redis!.condition).toBe('service_healthy');
    expect(services.nginx!.depends_on!['sift-blue']!.condition).toBe('service_healthy');
  });

  it('declares every named volume it mounts', () => {
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });

  it('mounts config files that exist in the repository', () => {
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('../'))
          expect(() => readText(`deploy/${source.slice(3)}`.replace(/\/$/, '')), source).not.toThrow(
            /ENOENT/,
          );
      }
    }
  });

  it('names compose services in the nginx upstream include', () => {
    const active = readText('deploy/nginx/upstream.d/sift-active.conf');
    const servers = [...active.matchAll(/^server ([\w.-]+):(\d+)/gm)];
    expect(servers.length).toBeGreaterThan(0);
    for (const [, host, port] of servers) {
      expect(names).toContain(host);
      expect(services[host!]!.expose).toContain(port);
    }
  });

  it('scrapes compose services from Prometheus', () => {
    const prom = readYaml<{
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    const targets = prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual(expect.arrayContaining(['sift-blue:8000', 'sift-green:8000']));
    for (const t of targets) expect(names).toContain(t.split(':')[0]);
  });

  it('uses only real Sift settings in its env file, and they validate as production', () => {
    const env = parseDotenv(readText('deploy/compose/sift.env'));
    for (const key of Object.keys(env)) {
      if (key !== 'ENVIRONMENT') expect(Object.keys(BASE_DEFAULTS), key).toContain(key);
    }
    expect(env).not.toHaveProperty('JWT_SECRET');
    // JWT_SECRET comes from the operator's environment, and compose refuses to start without it.
    expect(services['sift-blue']!.environment!.JWT_SECRET).toMatch(/^\$\{SIFT_JWT_SECRET:\?/);
    const config = loadConfig({ ...env, JWT_SECRET: 'x'.repeat(40) }, '/nonexistent/.env');
    expect(config.ENVIRONMENT).toBe('production');
    expect(config.KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
  });

  it('points the Grafana data source at the Prometheus service', () => {
    const ds = readYaml<{ datasources: { url: string; uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(ds.datasources[0]!.url).toBe('http://prometheus:9090');
    expect(names).toContain('prometheus');
  });
});

/**
 * The compose file describes the image it builds (ports, healthcheck, user, env, stop signal, data volume) and the
 * services Sift talks to; nothing checks one against the other at run time, so a change to the Dockerfile that the
 * compose file does not follow (or the reverse) is caught here. test/e2e/image checks the built image against the
 * same Dockerfile.
 */
describe('compose stack agrees with the image it builds', () => {
  const dockerfile = parseDockerfile(readText('Dockerfile'));
  const runtime = dockerfile.stages.at(-1)!;
  const last = (keyword: string) =>
    runtime.instructions.filter((i) => i.keyword === keyword).at(-1)?.args ?? '';
  const imageEnv = stageEnv(runtime);
  const siftEnv = parseDotenv(readText('deploy/compose/sift.env'));
  const sifts = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'Dockerfile');
  const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

  it('builds the runtime stage of the Dockerfile for every Sift service', () => {
    expect(sifts.map(([name]) => name).sort()).toEqual(['sift-blue', 'sift-green']);
    for (const [, s] of sifts) expect(s.build!.target).toBe(runtime.name);
  });

  it('exposes the port the image listens on and exposes', () => {
    const port = siftEnv.PORT ?? imageEnv.PORT;
    expect(last('EXPOSE').split(/\s+/)).toEqual([imageEnv.PORT]);
    for (const [, s] of sifts) expect(s.expose).toEqual([port]);
    expect(port).toBe(imageEnv.PORT);
  });

  it("runs the image's HEALTHCHECK command against the port, within the image's timeout", () => {
    const healthcheck = last('HEALTHCHECK');
    const command = execForm(healthcheck.replace(/^(--\S+\s+)*/, ''))!;
    expect(command).not.toBeNull();
    // The image reads the port from its env; compose, which fixes the port, spells it out.
    const resolved = command.map((arg) => arg.replace("'+(process.env.PORT||8000)+'", imageEnv.PORT!));
    const timeout = /--timeout=(\d+)s/.exec(healthcheck)?.[1];
    for (const [, s] of sifts) {
      expect(s.healthcheck!.test).toEqual(['CMD', ...resolved]);
      expect(seconds(s.healthcheck!.timeout!)).toBe(Number(timeout));
    }
  });

  it("keeps the image's unprivileged user, stop signal and data volume", () => {
    for (const [name, s] of sifts) {
      expect(s.user ?? last('USER')).toBe(last('USER'));
      expect(s.stop_signal).toBe(last('STOPSIGNAL'));
      // Longer than the server's own drain, so it exits by itself before being killed.
      const grace = Number(siftEnv.SHUTDOWN_GRACE_MS ?? BASE_DEFAULTS.SHUTDOWN_GRACE_MS);
      expect(seconds(s.stop_grace_period!) * 1000).toBeGreaterThan(grace);
      // read_only: the image's only writable place is its data volume.
      expect(s.read_only).toBe(true);
      const dataDir = siftEnv.DATA_DIR ?? imageEnv.DATA_DIR;
      expect(JSON.parse(last('VOLUME'))).toEqual([dataDir]);
      expect(s.volumes).toEqual([`${name.replace('-', '_')}_data:${dataDir}`]);
    }
  });

  it('sets only settings Sift has, and agrees with the image env it overrides', () => {
    // NODE_ENV is Node's and its libraries' convention; ENVIRONMENT picks the profile of defaults. The image, from
    // scratch, also sets PATH (a runtime that adds no default one must still find `node`).
    const known = [...Object.keys(BASE_DEFAULTS), 'ENVIRONMENT', 'NODE_ENV'];
    for (const name of Object.keys(imageEnv)) expect([...known, 'PATH'], name).toContain(name);
    for (const [, s] of sifts)
      for (const name of Object.keys(s.environment ?? {})) expect(known, name).toContain(name);
    expect(() => loadConfig({ ...imageEnv, JWT_SECRET: 'x'.repeat(40) }, '/nonexistent/.env')).not.toThrow();
    for (const name of ['ENVIRONMENT', 'HOST', 'PORT', 'DATA_DIR', 'LOG_FORMAT'])
      if (siftEnv[name] !== undefined) expect(siftEnv[name], name).toBe(imageEnv[name]);
  });

  it('waits for the engine and cache services its env file points at', () => {
    const needed = {
      [siftEnv.REDIS_HOST!]: 'service_healthy',
      [siftEnv.ELASTICSEARCH_HOST!]: 'service_healthy',
    };
    for (const [, s] of sifts) {
      for (const [host, condition] of Object.entries(needed)) {
        expect(names, host).toContain(host);
        expect(s.depends_on?.[host]?.condition, host).toBe(condition);
      }
    }
  });
});
