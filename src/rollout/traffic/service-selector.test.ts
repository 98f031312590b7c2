import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../../errors.js';
import { KubeClient } from '../platform/kubernetes/client.js';
import { ServiceSelectorRouter, splitOfService } from './service-selector.js';

const codeOf = (p: Promise<unknown>): Promise<string | null> =>
  p.then(
    () => null,
    (e: unknown) => (isSiftError(e) ? e.code : String(e)),
  );

describe('splitOfService', () => {
  it('reads the colour the selector names as an all-or-nothing split', () => {
    expect(splitOfService({ spec: { selector: { app: 'sift', color: 'green' } } })).toEqual({
      blue: 0,
      green: 100,
    });
    expect(splitOfService({ spec: { selector: { color: 'blue' } } })).toEqual({ blue: 100, green: 0 });
    expect(splitOfService({ spec: { selector: { app: 'sift' } } })).toBeNull();
    expect(splitOfService({ spec: { selector: { color: 'red' } } })).toBeNull();
  });
});

describe('ServiceSelectorRouter without a reachable API server', () => {
  let dir: string;
  let router: ServiceSelectorRouter;

  beforeAll(async () => {
    // A loopback port nothing listens on: every call that reaches for the API server fails as unavailable.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    dir = mkdtempSync(join(tmpdir(), 'sift-kubeconfig-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: main, context: { cluster: c, user: u, namespace: team-a } }]
current-context: main
`,
    );
    router = new ServiceSelectorRouter({ client: new KubeClient({ kubeconfig }) });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses invalid weights, and weights it cannot express, without calling the server', async () => {
    for (const bad of [-1, 101, 12.5, Number.NaN])
      expect(await codeOf(router.setWeight('green', bad))).toBe('DEPLOY_INVALID');
    expect(await codeOf(router.setWeight('green', 25))).toBe('DEPLOY_UNSUPPORTED');
  });

  it('turns 0 and 100 into switches, which do reach for the server', async () => {
    expect(await codeOf(router.setWeight('green', 100))).toBe('DEPLOY_TARGET_UNAVAILABLE');
    const err = await router.switchTo('blue').catch((e: unknown) => e as Error);
    expect(err?.message).toContain('Service team-a/sift');
  });
});
