import { describe, expect, it } from 'vitest';
import { parse as parseDotenv } from 'dotenv';
import { loadConfig } from '../../../src/config/config.js';
import { BASE_DEFAULTS } from '../../../src/config/defaults.js';
import { readText, readYaml } from '../../support/files.js';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  expose?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] | string; interval?: string };
  depends_on?: Record<string, { condition: string }>;
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
