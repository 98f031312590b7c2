import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError, type SiftError } from '../../../errors.js';
import { KubeClient } from './client.js';
import { KubernetesTarget } from '../../targets/kubernetes/target.js';

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(p: Promise<unknown>): Promise<SiftError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isSiftError(err)) throw new Error(`expected a SiftError, got ${String(err)}`);
  return err;
}

let dir: string;
let kubeconfig: string;
let server: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sift-kubeconfig-'));
  kubeconfig = join(dir, 'config');
  server = `https://127.0.0.1:${await closedPort()}`;
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: c`,
      `  cluster: { server: '${server}', insecure-skip-tls-verify: true }`,
      'users:',
      '- name: u',
      '  user: { token: t }',
      'contexts:',
      '- name: main',
      '  context: { cluster: c, user: u, namespace: team-a }',
      '- name: other',
      '  context: { cluster: c, user: u }',
      'current-context: main',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('KubeClient', () => {
  it('takes the namespace from the option, else the context, else default', () => {
    expect(new KubeClient({ kubeconfig }).namespace).toBe('team-a');
    expect(new KubeClient({ kubeconfig, context: 'other' }).namespace).toBe('default');
    expect(new KubeClient({ kubeconfig, namespace: 'x' }).namespace).toBe('x');
    expect(new KubeClient({ kubeconfig }).server).toBe(server);
  });

  it('carries dryRun=All on writes only in dry-run mode', () => {
    expect(new KubeClient({ kubeconfig, dryRun: true }).dryRunParam).toBe('All');
    expect(new KubeClient({ kubeconfig }).dryRunParam).toBeUndefined();
  });

  it('refuses a missing kubeconfig file or an unknown context with DEPLOY_INVALID naming it', () => {
    const missing = join(dir, 'nope');
    expect(() => new KubeClient({ kubeconfig: missing })).toThrow(
      expect.objectContaining({ code: 'DEPLOY_INVALID' }),
    );
    expect(() => new KubeClient({ kubeconfig: missing })).toThrow(missing);
    expect(() => new KubeClient({ kubeconfig, context: 'prod' })).toThrow(
      /no context prod \(known: main, other\)/,
    );
  });

  it('reports an unreachable API server as DEPLOY_TARGET_UNAVAILABLE naming the object', async () => {
    const target = new KubernetesTarget({ kubeconfig });
    const err = await failure(target.state());
    expect(err.code).toBe('DEPLOY_TARGET_UNAVAILABLE');
    expect(err.message).toContain('Deployment team-a/sift-');
    expect(err.message).toMatch(/ECONNREFUSED/);
    const scale = await failure(target.scale('green', 1));
    expect(scale.code).toBe('DEPLOY_TARGET_UNAVAILABLE');
    expect(scale.message).toContain('Deployment team-a/sift-green');
  });

  it('refuses bad scale counts and images before calling the API server', async () => {
    const target = new KubernetesTarget({ kubeconfig });
    for (const n of [-1, 1.5, Number.NaN])
      expect((await failure(target.scale('blue', n))).code).toBe('DEPLOY_INVALID');
    for (const image of ['', 'sift 2.0']) {
      expect((await failure(target.setImage('blue', image))).code).toBe('DEPLOY_INVALID');
    }
  });
});
