import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { SiftError } from '../../../errors.js';
import type { Lock, ReleaseRecord, ReleaseStore } from '../../types.js';
import { isConflict, isNotFound, kubeCall, toDeployError } from '../../platform/kubernetes/api-errors.js';
import { PatchStrategy, type KubeClient } from '../../platform/kubernetes/client.js';

/**
 * The deploy lock and the release record live in the cluster, next to what they describe, so two operators on
 * two machines see the same: the lock is a coordination.k8s.io Lease `<app>-deploy-lock` (held while renewed,
 * taken over once expired), the record a ConfigMap `<app>-release`. Every change of the Lease is a compare-and-swap
 * on its resourceVersion, so two takers can never both win.
 */

export interface KubernetesStoreOptions {
  readonly client: KubeClient;
  readonly app: string;
  /** How long a lock outlives its last renewal: a deploy that died frees the target after this. */
  readonly leaseSeconds?: number;
}

const RECORD_KEY = 'release.json';

const millis = (t: unknown): number => (t instanceof Date ? t.getTime() : Date.parse(String(t)));

function expiryOf(lease: V1Lease): number {
  const renewed = millis(lease.spec?.renewTime ?? lease.spec?.acquireTime);
  return (Number.isNaN(renewed) ? 0 : renewed) + (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
}

export class KubernetesReleaseStore implements ReleaseStore {
  private readonly client: KubeClient;
  private readonly leaseName: string;
  private readonly recordName: string;
  private readonly leaseSeconds: number;
  private readonly app: string;

  constructor(options: KubernetesStoreOptions) {
    this.client = options.client;
    this.app = options.app;
    this.leaseName = `${options.app}-deploy-lock`;
    this.recordName = `${options.app}-release`;
    this.leaseSeconds = options.leaseSeconds ?? 30;
  }

  private get leaseWhat(): string {
    return `Lease ${this.client.namespace}/${this.leaseName}`;
  }

  private get recordWhat(): string {
    return `ConfigMap ${this.client.namespace}/${this.recordName}`;
  }

  private async readLease(): Promise<V1Lease | null> {
    try {
      return await this.client.coordination.readNamespacedLease({
        name: this.leaseName,
        namespace: this.client.namespace,
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toDeployError(err, this.leaseWhat);
    }
  }

  private leaseBody(owner: string, previous: V1Lease | null): V1Lease {
    const now = new V1MicroTime();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: this.client.namespace,
        labels: { 'app.kubernetes.io/name': this.app, 'app.kubernetes.io/managed-by': 'sift-deploy' },
        ...(previous?.metadata?.resourceVersion
          ? { resourceVersion: previous.metadata.resourceVersion }
          : {}),
      },
      spec: {
        holderIdentity: owner,
        leaseDurationSeconds: this.leaseSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: previous ? (previous.spec?.leaseTransitions ?? 0) + 1 : 0,
      },
    };
  }

  private lockedError(lease: V1Lease): SiftError {
    const holder = lease.spec?.holderIdentity ?? 'unknown';
    const expires = new Date(expiryOf(lease)).toISOString();
    return new SiftError(
      'DEPLOY_LOCKED',
      `another deploy holds the lock ${this.leaseWhat}: ${holder}, until ${expires} unless renewed`,
      { holder, expiresAt: expires, lease: this.leaseName, namespace: this.client.namespace },
    );
  }

  /** Who holds the deploy lock now (an unexpired Lease), or null: `sift deploy agent` leaves a release's pods to it. */
  async holder(): Promise<string | null> {
    const lease = await this.readLease();
    const holder = lease?.spec?.holderIdentity;
    return holder && expiryOf(lease) > Date.now() ? holder : null;
  }

  async lock(owner: string): Promise<Lock> {
    if (!owner.trim()) throw new SiftError('DEPLOY_INVALID', 'a deploy lock needs an owner');
    for (let attempt = 0; attempt < 4; attempt++) {
      const existing = await this.readLease();
      if (existing?.spec?.holderIdentity && expiryOf(existing) > Date.now()) throw this.lockedError(existing);
      try {
        const held = existing
          ? await this.client.coordination.replaceNamespacedLease({
              name: this.leaseName,
              namespace: this.client.namespace,
              body: this.leaseBody(owner, existing),
              dryRun: this.client.dryRunParam,
            })
          : await this.client.coordination.createNamespacedLease({
              namespace: this.client.namespace,
              body: this.leaseBody(owner, null),
              dryRun: this.client.dryRunParam,
            });
        return new HeldLease(this.client, this.leaseName, this.leaseWhat, owner, held, this.leaseSeconds);
      } catch (err) {
        // Someone else created or changed the Lease between our read and our write: read again and decide anew.
        if (isConflict(err)) continue;
        throw toDeployError(err, this.leaseWhat);
      }
    }
    const last = await this.readLease();
    if (last) throw this.lockedError(last);
    throw new SiftError('DEPLOY_LOCKED', `the lock ${this.leaseWhat} is contended; try again`);
  }

  async read(): Promise<ReleaseRecord | null> {
    return (await this.readVersioned()).record;
  }

  /** The record and the ConfigMap's resourceVersion (null when the ConfigMap does not exist). */
  private async readVersioned(): Promise<{ record: ReleaseRecord | null; version: string | null }> {
    let data: Record<string, string> | undefined;
    let version: string | null;
    try {
      const cm = await this.client.core.readNamespacedConfigMap({
        name: this.recordName,
        namespace: this.client.namespace,
      });
      data = cm.data;
      version = cm.metadata?.resourceVersion ?? '';
    } catch (err) {
      if (isNotFound(err)) return { record: null, version: null };
      throw toDeployError(err, this.recordWhat);
    }
    return { record: this.parse(data?.[RECORD_KEY]), version };
  }

  private parse(raw: string | undefined): ReleaseRecord | null {
    if (raw === undefined) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `${this.recordWhat} holds no valid JSON: ${(err as Error).message}`,
      );
    }
    const r = parsed as Partial<ReleaseRecord> | null;
    if (
      !r ||
      typeof r !== 'object' ||
      typeof r.id !== 'string' ||
      typeof r.phase !== 'string' ||
      !r.candidate
    ) {
      throw new SiftError('DEPLOY_INVALID', `${this.recordWhat} does not hold a release record`);
    }
    return r as ReleaseRecord;
  }

  /**
   * A compare-and-swap on the ConfigMap's resourceVersion: a replace that another writer beat answers 409, and
   * the change is made again on what that writer left.
   */
  async update(
    change: (current: ReleaseRecord | null) => ReleaseRecord | null,
  ): Promise<ReleaseRecord | null> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { record, version } = await this.readVersioned();
      const next = change(record);
      if (next === null) return record;
      const data = { [RECORD_KEY]: JSON.stringify(next) };
      try {
        if (version === null) {
          await this.client.core.createNamespacedConfigMap({
            namespace: this.client.namespace,
            dryRun: this.client.dryRunParam,
            body: this.recordBody(data),
          });
        } else {
          await this.client.core.replaceNamespacedConfigMap({
            name: this.recordName,
            namespace: this.client.namespace,
            dryRun: this.client.dryRunParam,
            body: {
              ...this.recordBody(data),
              metadata: { ...this.recordBody(data).metadata, resourceVersion: version },
            },
          });
        }
        return next;
      } catch (err) {
        if (isConflict(err)) continue;
        throw toDeployError(err, this.recordWhat);
      }
    }
    throw new SiftError('DEPLOY_LOCKED', `${this.recordWhat} kept changing under every update; retry`);
  }

  private recordBody(data: Record<string, string>) {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.recordName,
        labels: { 'app.kubernetes.io/name': this.app, 'app.kubernetes.io/managed-by': 'sift-deploy' },
      },
      data,
    };
  }

  async write(record: ReleaseRecord): Promise<void> {
    const data = { [RECORD_KEY]: JSON.stringify(record) };
    try {
      await this.client.core.patchNamespacedConfigMap(
        {
          name: this.recordName,
          namespace: this.client.namespace,
          body: { data },
          dryRun: this.client.dryRunParam,
        },
        this.client.patchAs(PatchStrategy.MergePatch),
      );
      return;
    } catch (err) {
      if (!isNotFound(err)) throw toDeployError(err, this.recordWhat);
    }
    await kubeCall(this.recordWhat, () =>
      this.client.core.createNamespacedConfigMap({
        namespace: this.client.namespace,
        dryRun: this.client.dryRunParam,
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: this.recordName,
            labels: { 'app.kubernetes.io/name': this.app, 'app.kubernetes.io/managed-by': 'sift-deploy' },
          },
          data,
        },
      }),
    );
  }
}

/** A Lease this process holds: renewed in the background until released (or lost to a takeover). */
class HeldLease implements Lock {
  private resourceVersion: string;
  private readonly acquired: number;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  private lost = false;

  constructor(
    private readonly client: KubeClient,
    private readonly name: string,
    private readonly what: string,
    readonly owner: string,
    lease: V1Lease,
    leaseSeconds: number,
  ) {
    this.resourceVersion = lease.metadata?.resourceVersion ?? '';
    this.acquired = millis(lease.spec?.acquireTime);
    // A dry run never persisted the Lease: there is nothing to renew.
    if (!client.dryRun) {
      this.timer = setInterval(
        () => {
          this.renewing = this.renewing.then(() => this.renew());
        },
        Math.max(1_000, (leaseSeconds * 1000) / 3),
      );
      this.timer.unref();
    }
  }

  private async current(): Promise<V1Lease | null> {
    try {
      return await this.client.coordination.readNamespacedLease({
        name: this.name,
        namespace: this.client.namespace,
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Still ours: same holder and the same acquisition (a takeover after expiry would have a new acquireTime). */
  private ours(lease: V1Lease | null): lease is V1Lease {
    return lease?.spec?.holderIdentity === this.owner && millis(lease.spec?.acquireTime) === this.acquired;
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    try {
      const lease = await this.current();
      if (!this.ours(lease)) {
        this.lost = true;
        clearInterval(this.timer);
        return;
      }
      const renewed = await this.client.coordination.patchNamespacedLease(
        {
          name: this.name,
          namespace: this.client.namespace,
          body: {
            metadata: { resourceVersion: lease.metadata?.resourceVersion },
            spec: { renewTime: new V1MicroTime() },
          },
        },
        this.client.patchAs(PatchStrategy.MergePatch),
      );
      this.resourceVersion = renewed.metadata?.resourceVersion ?? this.resourceVersion;
    } catch {
      // A failed renewal is retried at the next tick; the Lease only expires if renewals keep failing.
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    if (this.client.dryRun || this.lost) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.client.coordination.deleteNamespacedLease({
          name: this.name,
          namespace: this.client.namespace,
          body: { preconditions: { resourceVersion: this.resourceVersion } },
        });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw toDeployError(err, this.what);
        // Changed since we last wrote it: delete only if it is still ours.
        const lease = await this.current().catch((e: unknown) => {
          throw toDeployError(e, this.what);
        });
        if (!this.ours(lease)) return;
        this.resourceVersion = lease.metadata?.resourceVersion ?? '';
      }
    }
    throw new SiftError('DEPLOY_TARGET_UNAVAILABLE', `could not release ${this.what}: it keeps changing`);
  }
}
