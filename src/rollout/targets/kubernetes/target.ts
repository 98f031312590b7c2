import type { V1Deployment, V1EndpointSlice, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { SiftError } from '../../../errors.js';
import {
  COLORS,
  type Color,
  type Instance,
  type ProbeResult,
  type ReadyResult,
  type SetImageOptions,
  type Target,
  type TargetState,
  type TrackState,
  type WaitOptions,
} from '../../types.js';
import { kubeCall } from '../../platform/kubernetes/api-errors.js';
import { KubeClient, PatchStrategy, type KubeClientOptions } from '../../platform/kubernetes/client.js';
import { admissionRefusal } from './admission.js';
import { awaitsAdmission, gatePatch, planGate } from './gate.js';
import { probeDirect, probeViaProxy, type ProbeMode } from './probe.js';
import {
  containerImage,
  describeTrack,
  isPodReady,
  isTerminating,
  judgeRollout,
  SERVICE_NAME_LABEL,
} from './rollout-status.js';
import { labelSelectorQuery } from './selector.js';
import { KubernetesReleaseStore } from './store.js';
import { planUndo } from './undo.js';
import { ResumingWatch, type WatchStats } from './watch.js';

export interface KubernetesTargetOptions extends KubeClientOptions {
  /** Deployments are `<app>-blue` and `<app>-green`; the lock and record are named after it too. */
  readonly app?: string;
  /** The container whose image a release changes. */
  readonly container?: string;
  /** The Service that carries traffic: its EndpointSlices must list no old pod before a rollout counts as done. */
  readonly service?: string;
  /** Pod probes through the API server's pod proxy (default; works from outside the cluster) or to the pod IP. */
  readonly probe?: ProbeMode;
  /** Server-side timeout of each watch request; a watch that ends resumes where it left off. */
  readonly watchTimeoutSeconds?: number;
  readonly leaseSeconds?: number;
}

const LIST_TIMEOUT_MS = 30_000;

/** What the last setImage of a colour asked of its new pods (kept in this process only: headers are credentials). */
interface ReleaseGate {
  readonly image: string;
  readonly admission: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly betweenBatches?: () => Promise<string | null>;
}

interface ColorObjects {
  deployment: V1Deployment;
  replicaSets: V1ReplicaSet[];
  pods: V1Pod[];
}

/**
 * Sift on Kubernetes: the Deployments `<app>-blue` and `<app>-green` (pods labelled `color`), driven through the
 * API server only. Reads are raw JSON so objects from lists and from watches look the same to the judgement.
 */
export class KubernetesTarget implements Target {
  readonly kind = 'kubernetes' as const;
  readonly client: KubeClient;
  readonly store: KubernetesReleaseStore;
  readonly app: string;
  readonly container: string;
  readonly service: string;
  readonly probeMode: ProbeMode;
  /** Summed over every wait: how often watches resumed, relisted, failed. */
  readonly watchStats: WatchStats = { lists: 0, resumes: 0, gone: 0, errors: 0, events: 0 };
  private readonly watchTimeoutSeconds: number;
  /** Per colour, the gate of the release this process runs (see setImage and waitReady). */
  private readonly gates = new Map<Color, ReleaseGate>();

  constructor(options: KubernetesTargetOptions = {}, client?: KubeClient) {
    this.client = client ?? new KubeClient(options);
    this.app = options.app ?? 'sift';
    this.container = options.container ?? 'sift';
    this.service = options.service ?? 'sift';
    this.probeMode = options.probe ?? 'proxy';
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 240;
    this.store = new KubernetesReleaseStore({
      client: this.client,
      app: this.app,
      ...(options.leaseSeconds !== undefined ? { leaseSeconds: options.leaseSeconds } : {}),
    });
  }

  deploymentName(color: Color): string {
    return `${this.app}-${color}`;
  }

  private what(color: Color): string {
    return `Deployment ${this.client.namespace}/${this.deploymentName(color)}`;
  }

  private get ns(): string {
    return encodeURIComponent(this.client.namespace);
  }

  private deploymentsPath(): string {
    return `/apis/apps/v1/namespaces/${this.ns}/deployments`;
  }

  private replicaSetsPath(): string {
    return `/apis/apps/v1/namespaces/${this.ns}/replicasets`;
  }

  private podsPath(): string {
    return `/api/v1/namespaces/${this.ns}/pods`;
  }

  private slicesPath(): string {
    return `/apis/discovery.k8s.io/v1/namespaces/${this.ns}/endpointslices`;
  }

  private async readDeployment(color: Color): Promise<V1Deployment> {
    const name = this.deploymentName(color);
    return kubeCall(this.what(color), () =>
      this.client.getJson<V1Deployment>(`${this.deploymentsPath()}/${encodeURIComponent(name)}`),
    );
  }

  private selectorOf(color: Color, deployment: V1Deployment): string {
    const selector = labelSelectorQuery(deployment.spec?.selector);
    if (!selector) throw new SiftError('DEPLOY_INVALID', `${this.what(color)} has an empty selector`);
    return selector;
  }

  private async listItems<T>(color: Color, path: string, labelSelector: string): Promise<T[]> {
    const query = new URLSearchParams({ labelSelector }).toString();
    const list = await kubeCall(this.what(color), () =>
      this.client.getJson<{ items?: T[] }>(`${path}?${query}`, LIST_TIMEOUT_MS),
    );
    return list.items ?? [];
  }

  private async objects(color: Color): Promise<ColorObjects> {
    const deployment = await this.readDeployment(color);
    const selector = this.selectorOf(color, deployment);
    const [replicaSets, pods] = await Promise.all([
      this.listItems<V1ReplicaSet>(color, this.replicaSetsPath(), selector),
      this.listItems<V1Pod>(color, this.podsPath(), selector),
    ]);
    return { deployment, replicaSets, pods };
  }

  private requireContainer(color: Color, deployment: V1Deployment): number {
    const containers = deployment.spec?.template?.spec?.containers ?? [];
    const index = containers.findIndex((c) => c.name === this.container);
    if (index < 0) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `${this.what(color)} has no container named ${this.container} (it has: ${
          containers.map((c) => c.name).join(', ') || 'none'
        })`,
      );
    }
    return index;
  }

  async state(): Promise<TargetState> {
    const tracks = await Promise.all(
      COLORS.map(async (color) => {
        const objects = await this.objects(color);
        this.requireContainer(color, objects.deployment);
        const track = describeTrack(color, this.container, objects);
        const awaiting = objects.pods.filter(awaitsAdmission).length;
        return awaiting ? { ...track, awaitingAdmission: awaiting } : track;
      }),
    );
    const [blue, green] = tracks as [TrackState, TrackState];
    return {
      kind: this.kind,
      where: `${this.client.namespace}/${this.app} on ${this.client.server}`,
      tracks: { blue, green },
    };
  }

  /**
   * Changes the image; the Deployment controller then replaces the pods. Pods with the admission gate (the
   * shipped templates' readiness gate) stay out of the Service until waitReady admits them: those of `image` after
   * `options.admission`'s probes, one batch at a time with `options.betweenBatches` run between two batches.
   */
  async setImage(color: Color, image: string, options: SetImageOptions = {}): Promise<void> {
    if (typeof image !== 'string' || image.trim() === '' || /\s/.test(image)) {
      throw new SiftError('DEPLOY_INVALID', `invalid image ${JSON.stringify(image)}`);
    }
    const deployment = await this.readDeployment(color);
    const index = this.requireContainer(color, deployment);
    const cause = `sift deploy: image ${image}`;
    const annotationsExist = deployment.metadata?.annotations !== undefined;
    // JSON patch, guarded by a test that the index still names our container; the annotation records the cause
    // the way `kubectl set image --record` did, so ReplicaSet history says why each revision exists.
    const patch = [
      { op: 'test', path: `/spec/template/spec/containers/${index}/name`, value: this.container },
      { op: 'replace', path: `/spec/template/spec/containers/${index}/image`, value: image },
      annotationsExist
        ? { op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: cause }
        : { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/change-cause': cause } },
    ];
    await kubeCall(this.what(color), () =>
      this.client.apps.patchNamespacedDeployment(
        {
          name: this.deploymentName(color),
          namespace: this.client.namespace,
          body: patch,
          dryRun: this.client.dryRunParam,
        },
        this.client.patchAs(PatchStrategy.JsonPatch),
      ),
    );
    this.gates.set(color, {
      image,
      admission: options.admission ?? [],
      headers: options.admissionHeaders ?? {},
      ...(options.betweenBatches ? { betweenBatches: options.betweenBatches } : {}),
    });
  }

  async scale(color: Color, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 10_000) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `replicas must be a whole number from 0 to 10000, got ${replicas}`,
      );
    }
    await kubeCall(this.what(color), () =>
      this.client.apps.patchNamespacedDeploymentScale(
        {
          name: this.deploymentName(color),
          namespace: this.client.namespace,
          body: { spec: { replicas } },
          dryRun: this.client.dryRunParam,
        },
        this.client.patchAs(PatchStrategy.MergePatch),
      ),
    );
  }

  async waitReady(color: Color, options: WaitOptions): Promise<ReadyResult> {
    const initial = await this.readDeployment(color);
    const name = this.deploymentName(color);
    const selector = this.selectorOf(color, initial);
    let lastTrack: TrackState = describeTrack(color, this.container, {
      deployment: initial,
      replicaSets: [],
      pods: [],
    });
    let lastWhy = 'waiting for the first state';
    let lastError: string | undefined;
    let synced = false;
    let settle!: (r: ReadyResult) => void;
    const outcome = new Promise<ReadyResult>((resolve) => {
      settle = resolve;
    });

    const common = {
      client: this.client,
      timeoutSeconds: this.watchTimeoutSeconds,
      onChange: () => {
        if (synced) evaluate();
      },
      onError: (err: unknown) => {
        lastError = (err as Error)?.message ?? String(err);
      },
    };
    const deployments = new ResumingWatch<V1Deployment>({
      ...common,
      path: this.deploymentsPath(),
      fieldSelector: `metadata.name=${name}`,
    });
    const replicaSets = new ResumingWatch<V1ReplicaSet>({
      ...common,
      path: this.replicaSetsPath(),
      labelSelector: selector,
    });
    const pods = new ResumingWatch<V1Pod>({ ...common, path: this.podsPath(), labelSelector: selector });
    const slices = new ResumingWatch<V1EndpointSlice>({
      ...common,
      path: this.slicesPath(),
      labelSelector: `${SERVICE_NAME_LABEL}=${this.service}`,
    });
    const watches = [deployments, replicaSets, pods, slices] as const;

    // The admission gate: pods whose containers are ready are admitted here, one pass at a time; events that
    // arrive during a pass (probes and the analysis take seconds) run another pass after it.
    const gateStop = new AbortController();
    const gateSignal = AbortSignal.any([options.signal, gateStop.signal]);
    const gate = { busy: false, again: false, analysedServing: 0, admitted: new Set<string>(), why: '' };
    const pumpGate = (): void => {
      if (gate.busy) {
        gate.again = true;
        return;
      }
      gate.busy = true;
      void (async () => {
        try {
          do {
            gate.again = false;
            gate.why = '';
            const refusal = await this.admitPass(
              color,
              () => ({ deployment: deployments.objects.get(name), pods: [...pods.objects.values()] }),
              gate,
              gateSignal,
              (why) => {
                gate.why = why;
              },
            );
            if (refusal !== null) {
              settle({ ok: false, track: lastTrack, reason: refusal });
              gateStop.abort();
            }
          } while (gate.again && !gateSignal.aborted);
        } catch (err) {
          // An API error (a patch refused: is `patch` on pods/status granted?) is tried again in a second; the
          // wait's timeout names it if it persists.
          lastError = (err as Error)?.message ?? String(err);
          setTimeout(() => {
            if (!gateSignal.aborted) pumpGate();
          }, 1000).unref();
        } finally {
          gate.busy = false;
        }
      })();
    };

    const evaluate = (): void => {
      const deployment = deployments.objects.get(name);
      if (!deployment) {
        lastWhy = `${this.what(color)} does not exist`;
        return;
      }
      pumpGate();
      const verdict = judgeRollout(color, this.container, {
        deployment,
        replicaSets: [...replicaSets.objects.values()],
        pods: [...pods.objects.values()],
        slices: [...slices.objects.values()],
      });
      if (JSON.stringify(verdict.track) !== JSON.stringify(lastTrack)) {
        lastTrack = verdict.track;
        options.onProgress?.(verdict.track);
      }
      if (verdict.state === 'ready') settle({ ok: true, track: verdict.track });
      else if (verdict.state === 'failed')
        settle({ ok: false, track: verdict.track, reason: verdict.reason });
      else lastWhy = verdict.why;
    };

    const why = (): string => {
      const waiting = gate.why ? `${lastWhy}; ${gate.why}` : lastWhy;
      return lastError ? `${waiting}; last API error: ${lastError}` : waiting;
    };
    const timer = setTimeout(
      () =>
        settle({ ok: false, track: lastTrack, reason: `timed out after ${options.timeoutMs} ms: ${why()}` }),
      options.timeoutMs,
    );
    const onAbort = (): void => settle({ ok: false, track: lastTrack, reason: `interrupted while ${why()}` });
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();

    try {
      const started = Promise.all(watches.map((w) => w.start())).then(() => {
        synced = true;
        options.onProgress?.(lastTrack);
        evaluate();
      });
      // A watch that cannot even list (API server gone) ends the wait with its error, unless it ended already.
      started.catch((err: unknown) =>
        settle({
          ok: false,
          track: lastTrack,
          reason: `cannot watch ${this.what(color)}: ${(err as Error).message}`,
        }),
      );
      return await outcome;
    } finally {
      gateStop.abort();
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      for (const w of watches) {
        w.stop();
        for (const key of Object.keys(this.watchStats) as (keyof WatchStats)[])
          this.watchStats[key] += w.stats[key];
      }
    }
  }

  /**
   * One pass of the admission gate over `color`'s pods (see gate.ts): admits what waits, running the release's
   * probes and, between two batches, its analysis. Returns why the release must stop, or null.
   */
  private async admitPass(
    color: Color,
    current: () => { deployment: V1Deployment | undefined; pods: V1Pod[] },
    state: { analysedServing: number; admitted: Set<string> },
    signal: AbortSignal,
    waiting: (why: string) => void,
  ): Promise<string | null> {
    const release = this.gates.get(color) ?? null;
    for (;;) {
      if (signal.aborted) return null;
      const { deployment, pods } = current();
      const step = planGate(pods, {
        container: this.container,
        templateImage: containerImage(deployment?.spec?.template, this.container),
        release: release
          ? { image: release.image, betweenBatches: release.betweenBatches !== undefined }
          : null,
        analysedServing: state.analysedServing,
        // Pods admitted in this wait may still look closed in the watch's copy for a moment.
        admitted: state.admitted,
      });
      if (step.kind === 'idle') {
        if (step.why) waiting(step.why);
        return null;
      }
      if (step.kind === 'analyse') {
        waiting(
          `analysing ${color} between batches (${step.serving.length} pod(s) of ${release!.image} serve)`,
        );
        const reason = await release!.betweenBatches!();
        if (signal.aborted) return null;
        if (reason !== null) {
          // The release failed with users on it: its pods leave the Service now rather than when the undo has
          // replaced them, so the colour serves from its previous pods meanwhile.
          await Promise.all(
            step.serving.map((p) =>
              this.setGate(color, p, false, 'AnalysisFailed', reason).catch(() => undefined),
            ),
          );
          return `stopped between batches: ${reason}`;
        }
        state.analysedServing = step.serving.length;
        // The pods may have moved on during the analysis: plan again from the latest copy.
        continue;
      }
      const refusals = await Promise.all(
        step.probed.map((p) =>
          admissionRefusal(
            (i, path, ms, headers) => this.probe(i, path, ms, headers),
            this.instanceOf(color, p),
            release!.admission,
            release!.headers,
            signal,
          ),
        ),
      );
      if (signal.aborted) return null;
      const refused = refusals.find((r) => r !== null);
      if (refused) {
        // Closed for good: neither the undo's wait nor the agent may let it in while it goes away.
        await Promise.all(
          step.probed.map((p, i) =>
            refusals[i]
              ? this.setGate(color, p, false, 'ProbesFailed', refusals[i]).catch(() => undefined)
              : null,
          ),
        );
        return refused;
      }
      const admit = async (p: V1Pod, why: string) => {
        await this.setGate(color, p, true, 'Admitted', why);
        state.admitted.add(p.metadata?.uid ?? '');
      };
      await Promise.all([
        ...step.plain.map((p) => admit(p, 'its containers are ready (no release probes for its image)')),
        ...step.probed.map((p) =>
          admit(p, `passed the release's probes: ${release!.admission.join(', ') || 'readiness only'}`),
        ),
      ]);
      return null;
    }
  }

  /**
   * Between releases (`sift deploy agent`): admits `color`'s pods that wait for the gate (a crash replacement, a
   * scale-up) once each answered `paths` with 2xx. A pod that fails stays out of the Service and is tried again on
   * the next call. Leaves everything to a release that holds the deploy lock: its gate runs the analysis too.
   */
  async admitWaiting(
    color: Color,
    paths: readonly string[],
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<{ admitted: string[]; refused: string[] }> {
    const { deployment, pods } = await this.objects(color);
    const step = planGate(pods, {
      container: this.container,
      templateImage: containerImage(deployment.spec?.template, this.container),
      release: null,
      analysedServing: 0,
    });
    const done = { admitted: [] as string[], refused: [] as string[] };
    if (step.kind !== 'admit') return done;
    for (const pod of step.plain) {
      const instance = this.instanceOf(color, pod);
      const refusal = await admissionRefusal(
        (i, path, ms, h) => this.probe(i, path, ms, h),
        instance,
        paths,
        headers,
        signal,
      );
      if (signal.aborted) break;
      if (refusal !== null) {
        done.refused.push(refusal);
        continue;
      }
      // Checked again just before the write: a release that started meanwhile owns its pods.
      if ((await this.store.holder()) !== null) break;
      await this.setGate(color, pod, true, 'Admitted', `sift deploy agent: passed ${paths.join(', ')}`);
      done.admitted.push(instance.id);
    }
    return done;
  }

  /** Opens (or closes) one pod's admission gate: the pod's Ready condition follows, and its endpoints with it. */
  private async setGate(color: Color, pod: V1Pod, admitted: boolean, reason: string, message: string) {
    await kubeCall(`pod ${this.client.namespace}/${pod.metadata?.name} of ${this.what(color)}`, () =>
      this.client.core.patchNamespacedPodStatus(
        {
          name: pod.metadata?.name ?? '',
          namespace: this.client.namespace,
          body: gatePatch(admitted, reason, message.slice(0, 1000)),
          dryRun: this.client.dryRunParam,
        },
        this.client.patchAs(PatchStrategy.StrategicMergePatch),
      ),
    );
  }

  private instanceOf(color: Color, pod: V1Pod): Instance {
    const container = pod.spec?.containers.find((c) => c.name === this.container);
    const port =
      container?.ports?.find((p) => p.name === 'http')?.containerPort ??
      container?.ports?.[0]?.containerPort ??
      8000;
    return {
      id: pod.metadata?.name ?? '',
      color,
      image: container?.image ?? null,
      address: `${pod.status?.podIP ?? ''}:${port}`,
      // A pod being deleted is on its way out of the endpoints, whatever its last Ready condition said.
      ready: isPodReady(pod) && !isTerminating(pod),
    };
  }

  async instances(color: Color): Promise<Instance[]> {
    const { deployment, pods } = await this.objects(color);
    this.requireContainer(color, deployment);
    return pods.map((pod) => this.instanceOf(color, pod)).sort((a, b) => a.id.localeCompare(b.id));
  }

  probe(
    instance: Instance,
    path: string,
    timeoutMs: number,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<ProbeResult> {
    return this.probeMode === 'direct'
      ? probeDirect(instance, path, timeoutMs, headers)
      : probeViaProxy(this.client, instance, path, timeoutMs, headers);
  }

  /** The previous template comes back; its pods are admitted on their readiness, as the version that served. */
  async undo(color: Color): Promise<void> {
    this.gates.delete(color);
    const { deployment, replicaSets } = await this.objects(color);
    const plan = planUndo(deployment, replicaSets);
    await kubeCall(this.what(color), () =>
      this.client.apps.patchNamespacedDeployment(
        {
          name: this.deploymentName(color),
          namespace: this.client.namespace,
          body: plan.patch,
          dryRun: this.client.dryRunParam,
        },
        this.client.patchAs(PatchStrategy.JsonPatch),
      ),
    );
  }
}
