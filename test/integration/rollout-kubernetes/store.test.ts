// @services kube
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError, type SiftError } from '../../../src/errors.js';
import { kubeEnv, type KubeEnv } from '../../support/kubernetes/env.js';

// The deploy lock (a Lease) and release record (a ConfigMap) across two targets, as two operators on two machines
// would hold them, against the real API server.

async function refusal(p: Promise<unknown>): Promise<SiftError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isSiftError(err)) throw new Error(`expected a SiftError, got ${String(err)}`);
  return err;
}

describe('Kubernetes release store', { timeout: 60_000 }, () => {
  let env: KubeEnv;
  let leases: CoordinationV1Api;

  beforeAll(async () => {
    env = await kubeEnv('store', { objects: false, pods: false });
    leases = env.kc.makeApiClient(CoordinationV1Api);
  });
  afterAll(async () => env?.close());

  const readLease = () => leases.readNamespacedLease({ name: 'sift-deploy-lock', namespace: env.namespace });

  it('lets exactly one of two simultaneous takers win', async () => {
    const [a, b] = [env.target(), env.target()];
    const results = await Promise.allSettled([
      a.store.lock('alice@laptop pid 1'),
      b.store.lock('bob@ci pid 2'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as SiftError).code).toBe('DEPLOY_LOCKED');
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
    await expect(readLease()).rejects.toMatchObject({ code: 404 });
  });

  it('keeps a held lock alive by renewing it past its lease duration, naming holder and expiry to others', async () => {
    const holder = env.target({ leaseSeconds: 2 });
    const other = env.target({ leaseSeconds: 2 });
    const lock = await holder.store.lock('alice@laptop pid 1');
    try {
      await new Promise((r) => setTimeout(r, 5_000));
      const err = await refusal(other.store.lock('bob@ci pid 2'));
      expect(err.code).toBe('DEPLOY_LOCKED');
      expect(err.message).toContain('alice@laptop pid 1');
      expect(err.message).toMatch(/until \d{4}-\d\d-\d\dT/);
      expect(Date.parse(String(err.details?.expiresAt))).toBeGreaterThan(Date.now() - 1_000);
      const lease = await readLease();
      expect(lease.spec?.holderIdentity).toBe('alice@laptop pid 1');
    } finally {
      await lock.release();
    }
  });

  it('takes over a lock whose holder stopped renewing it', async () => {
    const stale = new V1MicroTime(Date.now() - 120_000);
    await leases.createNamespacedLease({
      namespace: env.namespace,
      body: {
        metadata: { name: 'sift-deploy-lock' },
        spec: {
          holderIdentity: 'crashed@host pid 9',
          leaseDurationSeconds: 30,
          acquireTime: stale,
          renewTime: stale,
        },
      },
    });
    const lock = await env.target().store.lock('bob@ci pid 2');
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toBe('bob@ci pid 2');
    expect(lease.spec?.leaseTransitions).toBe(1);
    await lock.release();
    await expect(readLease()).rejects.toMatchObject({ code: 404 });
  });

  it('writes and replaces the release record in a ConfigMap every target reads', async () => {
    const [a, b] = [env.target(), env.target()];
    expect(await b.store.read()).toBeNull();
    const now = new Date().toISOString();
    const record = {
      id: 'r-1',
      strategy: 'blue-green' as const,
      phase: 'progressing' as const,
      stable: { color: 'blue' as const, image: 'sift:1.0' },
      candidate: { color: 'green' as const, image: 'sift:2.0' },
      startedAt: now,
      updatedAt: now,
      message: 'scaling green',
      owner: 'alice@laptop pid 1',
    };
    await a.store.write(record);
    expect(await b.store.read()).toEqual(record);
    await a.store.write({ ...record, phase: 'succeeded', message: 'done' });
    expect(await b.store.read()).toMatchObject({ phase: 'succeeded', message: 'done' });
  });
});
