import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { cpSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Container,
  type V1ContainerStatus,
  type V1Pod,
} from '@kubernetes/client-node';
import { cliEnv, ROOT } from '../cli.js';
import { freePort } from '../net.js';
import { testKubeConfig } from './kube.js';
import { tempDir } from '../temp-dir.js';
import { nodeArgs } from '../compiled.js';

/**
 * The kubelet's part for the KWOK pods of one namespace of the test cluster (see scripts/services/kube.sh).
 *
 * KWOK gives each pod a loopback address and the Running phase, but no process and no readiness. The runner
 * watches the namespace's pods and, for each running pod whose image is a known release, starts a REAL Sift (from
 * source, test/support/fixtures/serve.ts) listening on podIP:containerPort with its own data directory and the
 * container's environment (env and envFrom, ConfigMaps and Secrets resolved as the kubelet does) over the
 * release's. It runs the pod's readinessProbe (httpGet; default /health/ready on the container port) every
 * ~500 ms with the kubelet's thresholds, and sets the pod's Ready and ContainersReady conditions through the status
 * subresource when the verdict changes. Like the kubelet, it honours the pod's readiness gates: ContainersReady
 * follows the probe, Ready is ContainersReady AND every gate's condition True, and is written again whenever a gate
 * condition changes (someone else patched the pod's status). A pod whose image is unknown, or whose environment cannot be built, gets no
 * process and never becomes ready (like an image that cannot be pulled; neither is retried). Only the first
 * container runs; startup and liveness probes, command and args are not used.
 *
 * Termination follows the kubelet too: on the deletionTimestamp the preStop hook runs (sleep or httpGet; the
 * process serves on meanwhile), then the process gets SIGTERM (Sift drains) and, once it has exited, the pod is
 * deleted with grace 0; KWOK deletes it at the end of the grace period otherwise. A pod that disappears takes its
 * process with it (SIGKILL if it is still running: the grace period is over). A process
 * that exits on its own is not restarted; its pod just stops being ready.
 */

/** What a test "image" is: a Sift with some environment baked in. */
export interface Release {
  readonly env?: Readonly<Record<string, string>>;
}
export type Releases = Readonly<Record<string, Release>>;

/**
 * The releases the Kubernetes target tests deploy. Sift has no setting that names its release in answers (its
 * /health `version` is the package version), so which release runs where is read from the pods' images.
 * - `sift:1.0`, `sift:2.0`: healthy (embedded engine, the bundled sample as the default index).
 * - `sift:not-ready`: starts and answers /health/live, but /health/ready stays 503 because its search engine
 *   (OpenSearch at a closed loopback port) never answers: the pod never becomes ready.
 * - `sift:bad-search`: ready, but `GET /api/search?q=test` fails (401): the release requires credentials for
 *   reads (AUTH_REQUIRED=true, AUTH_PUBLIC_READS=false), so anonymous searches are refused while health passes.
 */
export async function siftReleases(): Promise<Releases> {
  const closedPort = await freePort();
  return {
    'sift:1.0': {},
    'sift:2.0': {},
    'sift:not-ready': {
      env: {
        SEARCH_ENGINE: 'opensearch',
        ELASTICSEARCH_URL: `http://127.0.0.1:${closedPort}`,
        ELASTICSEARCH_TIMEOUT: '1',
      },
    },
    'sift:bad-search': { env: { AUTH_REQUIRED: 'true', AUTH_PUBLIC_READS: 'false' } },
  };
}

/** One process the runner started for a pod. */
export interface PodProcess {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly image: string;
  /** `podIP:containerPort`. */
  readonly address: string;
  readonly url: string;
  readonly pid: number | undefined;
  /** The readiness probe's verdict last written to the pod (ContainersReady; Ready also needs its gates). */
  readonly ready: boolean;
  /** True once the pod is being deleted and the process was told to stop. */
  readonly terminating: boolean;
  /** The process's last output, for failure messages. */
  readonly output: string;
}

export interface PodRunner {
  /** The processes now running (terminating ones included until they exit). */
  processes(): PodProcess[];
  /**
   * Stops watching and kills every process; waits for them to exit. Delete the test's namespace first: while the
   * runner runs, it stops the processes and removes their pods at once instead of at the end of the grace period.
   */
  stop(): Promise<void>;
}

const PROBE_INTERVAL_MS = 500;
const DEFAULT_PORT = 8000;
const DEFAULT_READY_PATH = '/health/ready';
const OUTPUT_LIMIT = 8192;
const KILL_AFTER_MS = 15_000;

/** A Sift data directory with the bundled sample already loaded: copying it spares every pod the load. */
let seedDataDir: Promise<string> | undefined;
function seedData(): Promise<string> {
  seedDataDir ??= (async () => {
    const dir = tempDir('sift-kube-seed-').path;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(process.execPath, nodeArgs('test/support/fixtures/serve.ts'), {
      cwd: ROOT,
      env: cliEnv(dir, { HOST: '127.0.0.1', PORT: '0', LOAD_SAMPLE_DATA: 'true' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-OUTPUT_LIMIT)));
    const exited = once(child, 'exit');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`seeding Sift data took over 180 s: ${stderr}`)),
        180_000,
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('SIFT_READY ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`seeding Sift data: the server exited ${code}: ${stderr}`));
      });
    }).finally(() => child.kill('SIGTERM'));
    await exited;
    return dir;
  })().catch((err: unknown) => {
    seedDataDir = undefined; // the next runner tries again
    throw err;
  });
  return seedDataDir;
}

interface Probe {
  readonly path: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly initialDelayMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

/** A probe's or hook's port: a number, or the name of one of the container's ports. */
function portNumber(port: unknown, container: V1Container, fallback: number): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(String(port ?? ''))) return Number(port);
  return container.ports?.find((cp) => cp.name === port)?.containerPort ?? fallback;
}

function probeOf(container: V1Container, port: number): Probe {
  const p = container.readinessProbe;
  return {
    path: p?.httpGet?.path ?? DEFAULT_READY_PATH,
    port: portNumber(p?.httpGet?.port, container, port),
    timeoutMs: (p?.timeoutSeconds ?? 1) * 1000,
    initialDelayMs: (p?.initialDelaySeconds ?? 0) * 1000,
    failureThreshold: p?.failureThreshold ?? 3,
    successThreshold: p?.successThreshold ?? 1,
  };
}

/**
 * The container's environment as the kubelet builds it: `envFrom` ConfigMaps and Secrets in order, then `env`
 * (literal values with $(VAR) references, ConfigMap and Secret keys, a few pod fields). A missing ConfigMap, Secret
 * or key that is not optional fails, as the kubelet's CreateContainerConfigError does.
 */
async function containerEnvironment(
  core: CoreV1Api,
  namespace: string,
  pod: V1Pod,
  container: V1Container,
): Promise<Record<string, string>> {
  const cache = new Map<string, Promise<Record<string, string> | null>>();
  const source = (kind: 'ConfigMap' | 'Secret', name: string) => {
    const key = `${kind}/${name}`;
    if (!cache.has(key)) {
      const read =
        kind === 'ConfigMap'
          ? core.readNamespacedConfigMap({ name, namespace }).then((c) => c.data ?? {})
          : core
              .readNamespacedSecret({ name, namespace })
              .then((sec) =>
                Object.fromEntries(
                  Object.entries(sec.data ?? {}).map(([k, v]) => [
                    k,
                    Buffer.from(v, 'base64').toString('utf8'),
                  ]),
                ),
              );
      cache.set(
        key,
        read.catch((err: unknown) => {
          if ((err as { code?: number }).code === 404) return null;
          throw err;
        }),
      );
    }
    return cache.get(key)!;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const [kind, ref] = from.configMapRef
      ? (['ConfigMap', from.configMapRef] as const)
      : (['Secret', from.secretRef!] as const);
    const data = await source(kind, ref.name ?? '');
    if (!data) {
      if (ref.optional) continue;
      throw new Error(`${kind} ${ref.name} not found`);
    }
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v;
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': pod.status?.podIP,
    'status.hostIP': pod.status?.hostIP,
  };
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    const keyRef = from?.configMapKeyRef ?? from?.secretKeyRef;
    if (keyRef) {
      const kind = from?.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const value = (await source(kind, keyRef.name ?? ''))?.[keyRef.key];
      if (value === undefined) {
        if (keyRef.optional) continue;
        throw new Error(`${kind} ${keyRef.name} has no key ${keyRef.key} (for ${e.name})`);
      }
      env[e.name] = value;
    } else if (from?.fieldRef) {
      const value = fields[from.fieldRef.fieldPath];
      if (value === undefined)
        throw new Error(`field ${from.fieldRef.fieldPath} is not supported (for ${e.name})`);
      env[e.name] = value;
    } else if (from) {
      throw new Error(`the source of ${e.name} is not supported`);
    } else {
      // $(VAR) expands variables defined before this one; $$ escapes it.
      env[e.name] = (e.value ?? '').replace(
        /\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (whole: string, name?: string) => (name === undefined ? '$' : (env[name] ?? whole)),
      );
    }
  }
  return env;
}

/** One pod the runner knows: its process (none for an unknown image) and readiness bookkeeping. */
interface Managed {
  pod: V1Pod;
  readonly uid: string;
  readonly name: string;
  readonly image: string;
  readonly container: string;
  readonly ip: string;
  readonly port: number;
  readonly probe: Probe;
  child: ChildProcess | null;
  exited: Promise<void>;
  output: string;
  ready: boolean;
  streak: number;
  terminating: boolean;
  gone: boolean;
  timer?: NodeJS.Timeout;
  probing: boolean;
}

/** The pod's readiness gates whose condition is not True (missing counts as not True, as for the kubelet). */
function closedGates(pod: V1Pod): string[] {
  const conditions = pod.status?.conditions ?? [];
  return (pod.spec?.readinessGates ?? [])
    .map((g) => g.conditionType)
    .filter((type) => !conditions.some((c) => c.type === type && c.status === 'True'));
}

const podReady = (pod: V1Pod): boolean =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The kubelet's Ready: the containers are ready and every readiness gate is open. */
const readyWithGates = (pod: V1Pod, containersReady: boolean): boolean =>
  containersReady && closedGates(pod).length === 0;

/** A probe like the kubelet's: a fresh connection per request (no keep-alive), the status code or an error. */
function httpGetStatus(host: string, port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Plays the kubelet for the pods of `namespace` with the given releases (see siftReleases). Resolves once the
 * seed data exists (the first call in a test file loads the sample once) and the pods are listed and watched.
 */
export async function startPodRunner(opts: {
  kubeconfig: KubeConfig | string;
  namespace: string;
  releases: Releases;
}): Promise<PodRunner> {
  const kc = typeof opts.kubeconfig === 'string' ? testKubeConfig(opts.kubeconfig) : opts.kubeconfig;
  const runner = new Runner(kc, opts.namespace, opts.releases);
  await runner.start();
  return runner;
}

class Runner implements PodRunner {
  private readonly core: CoreV1Api;
  private readonly managed = new Map<string, Managed>();
  private stopped = false;
  private resourceVersion = '';
  private watchAbort: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly releases: Releases,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    await seedData();
    await this.relist();
    void this.watch();
  }

  processes(): PodProcess[] {
    return [...this.managed.values()]
      .filter((m) => m.child && m.child.exitCode === null && m.child.signalCode === null)
      .map((m) => ({
        namespace: this.namespace,
        pod: m.name,
        uid: m.uid,
        image: m.image,
        address: `${m.ip}:${m.port}`,
        url: `http://${m.ip}:${m.port}`,
        pid: m.child?.pid,
        ready: m.ready,
        terminating: m.terminating,
        output: m.output,
      }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.watchAbort?.abort();
    const all = [...this.managed.values()];
    for (const m of all) {
      clearTimeout(m.timer);
      if (m.child && m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
    }
    await Promise.all(all.map((m) => m.exited));
    this.managed.clear();
  }

  // --- watching -------------------------------------------------------------------------------------------------

  /** Lists the pods (the truth after a gap in the watch) and forgets those no longer there. */
  private async relist(): Promise<void> {
    const list = await this.core.listNamespacedPod({ namespace: this.namespace });
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    const seen = new Set<string>();
    for (const pod of list.items) {
      seen.add(pod.metadata?.uid ?? '');
      this.sync(pod);
    }
    for (const m of this.managed.values()) if (!seen.has(m.uid)) this.podGone(m);
  }

  /** Watches from the last resource version; resumes after the server's timeout, relists after a 410 or error. */
  private async watch(): Promise<void> {
    if (this.stopped) return;
    let relist = false;
    const done = (err: unknown): void => {
      if (this.stopped) return;
      this.retryTimer = setTimeout(() => void this.resume(relist || Boolean(err)), err ? 1000 : 0);
    };
    const abort = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 60 },
      (type: string, obj: V1Pod & { code?: number }) => {
        if (type === 'ERROR') {
          relist = true; // 410 Gone (the version was compacted) or another error: start again from a list
          return;
        }
        if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
        if (type === 'BOOKMARK') return;
        const m = this.managed.get(obj.metadata?.uid ?? '');
        if (type === 'DELETED') {
          if (m) this.podGone(m);
        } else this.sync(obj);
      },
      done,
    );
    if (this.stopped) abort.abort();
    this.watchAbort = abort;
  }

  private async resume(relist: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      if (relist) await this.relist();
      await this.watch();
    } catch {
      this.retryTimer = setTimeout(() => void this.resume(true), 1000);
    }
  }

  // --- pods -------------------------------------------------------------------------------------------------------

  private sync(pod: V1Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? '';
    let m = this.managed.get(uid);
    if (m) m.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      if (m) this.terminate(m);
      else void this.finishDeletion(pod);
      return;
    }
    // A readiness gate changed (its condition is set by someone else): Ready follows, as the kubelet's status
    // sync makes it.
    if (m?.child && m.ready && podReady(pod) !== readyWithGates(pod, true)) {
      void this.setReady(m, true, 'readiness gate changed').catch(() => undefined);
    }
    if (m || !pod.status?.podIP || pod.status.phase !== 'Running') return;
    m = this.launch(pod);
    this.managed.set(uid, m);
  }

  private launch(pod: V1Pod): Managed {
    const container = pod.spec!.containers[0]!;
    const port = container.ports?.[0]?.containerPort ?? DEFAULT_PORT;
    const m: Managed = {
      pod,
      uid: pod.metadata!.uid!,
      name: pod.metadata!.name!,
      image: container.image ?? '',
      container: container.name,
      ip: pod.status!.podIP!,
      port,
      probe: probeOf(container, port),
      child: null,
      exited: Promise.resolve(),
      output: '',
      ready: false,
      streak: 0,
      terminating: false,
      gone: false,
      probing: false,
    };
    const release = this.releases[m.image];
    if (!release) {
      m.output = `no release for image ${m.image}: no process`;
      return m;
    }
    // KWOK hands a deleted pod's address to the next pod; wait until a process still draining on it has exited.
    const previous = [...this.managed.values()].filter((o) => o.ip === m.ip && o.port === m.port && o.child);
    let markExited: () => void = () => undefined;
    m.exited = new Promise<void>((r) => (markExited = r));
    void Promise.all(previous.map((o) => o.exited)).then(() =>
      this.spawnSift(m, container, release, markExited),
    );
    return m;
  }

  private spawnSift(m: Managed, container: V1Container, release: Release, exited: () => void): void {
    void Promise.all([seedData(), containerEnvironment(this.core, this.namespace, m.pod, container)]).then(
      ([seed, env]) => this.runSift(m, release, seed, env, exited),
      (err: unknown) => {
        // The kubelet's CreateContainerConfigError (a missing ConfigMap or key), or no seed data: no process.
        m.output = `no process: ${(err as Error).message}`;
        exited();
      },
    );
  }

  private runSift(
    m: Managed,
    release: Release,
    seed: string,
    containerEnv: Record<string, string>,
    exited: () => void,
  ): void {
    if (this.stopped || m.terminating || m.gone) {
      exited();
      return;
    }
    const dataDir = tempDir(`sift-pod-${m.name}-`).path;
    cpSync(seed, dataDir, { recursive: true });
    const child = spawn(process.execPath, nodeArgs('test/support/fixtures/serve.ts'), {
      cwd: ROOT,
      env: cliEnv(dataDir, {
        LOAD_SAMPLE_DATA: 'true',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        ...release.env,
        ...containerEnv,
        // The pod's network: its own address, the container port.
        HOST: m.ip,
        PORT: String(m.port),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    m.child = child;
    const keep = (c: Buffer): void => {
      m.output = (m.output + c.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', (err) => keep(Buffer.from(`\n${err.message}\n`)));
    child.once('exit', (code, signal) => {
      clearTimeout(m.timer);
      rmSync(dataDir, { recursive: true, force: true });
      exited();
      if (m.gone) this.managed.delete(m.uid);
      else if (m.terminating) void this.finishDeletion(m.pod);
      // A container that dies is not ready at once (the kubelet sees the exit, no probe needed).
      else if (m.ready)
        void this.setReady(m, false, `the process exited (${signal ?? `code ${code}`})`).then(
          () => (m.ready = false),
          () => undefined,
        );
    });
    this.scheduleProbe(m, m.probe.initialDelayMs || PROBE_INTERVAL_MS);
  }

  /** The pod is being deleted: SIGTERM, and a SIGKILL if it outlives the grace period (KWOK removes the pod then). */
  private terminate(m: Managed): void {
    if (m.terminating) return;
    m.terminating = true;
    clearTimeout(m.timer);
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      void this.finishDeletion(m.pod);
      return;
    }
    // The preStop hook first (the process serves on meanwhile), then SIGTERM; SIGKILL when the grace period ends.
    void this.preStop(m).then(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    });
    const graceMs = (m.pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000;
    setTimeout(
      () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      Math.max(graceMs, KILL_AFTER_MS),
    ).unref();
  }

  /** A `sleep` or `httpGet` preStop hook; `exec` has nothing to run in. Failures are ignored, as by the kubelet. */
  private async preStop(m: Managed): Promise<void> {
    const hook = m.pod.spec?.containers.find((c) => c.name === m.container)?.lifecycle?.preStop;
    if (hook?.sleep) await new Promise((r) => setTimeout(r, hook.sleep!.seconds * 1000));
    else if (hook?.httpGet) {
      const port = portNumber(hook.httpGet.port, m.pod.spec!.containers[0]!, m.port);
      await httpGetStatus(m.ip, port, hook.httpGet.path ?? '/', 10_000).catch(() => undefined);
    }
  }

  /** The pod object is gone: its process goes too (the grace period, if any, is over). */
  private podGone(m: Managed): void {
    m.gone = true;
    m.terminating = true;
    clearTimeout(m.timer);
    const child = m.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    else this.managed.delete(m.uid);
  }

  /** What the kubelet does once the containers have stopped: remove the pod for good. */
  private async finishDeletion(pod: V1Pod): Promise<void> {
    if (this.stopped) return;
    await this.core
      .deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: this.namespace,
        // In the body: a body's DeleteOptions replace the query's, grace included.
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid! } },
      })
      // 404: already gone; 409: a newer pod of that name (the precondition protects it); anything else: KWOK still
      // removes the pod when its grace period ends.
      .catch(() => undefined);
  }

  // --- readiness --------------------------------------------------------------------------------------------------

  private scheduleProbe(m: Managed, delayMs: number): void {
    if (this.stopped || m.terminating) return;
    m.timer = setTimeout(() => void this.probeOnce(m), delayMs);
  }

  private async probeOnce(m: Managed): Promise<void> {
    if (this.stopped || m.terminating || m.probing) return;
    m.probing = true;
    let ok = false;
    let detail = '';
    try {
      const status = await httpGetStatus(m.ip, m.probe.port, m.probe.path, m.probe.timeoutMs);
      ok = status >= 200 && status < 400;
      detail = `HTTP ${status}`;
    } catch (err) {
      detail = (err as Error).message;
    }
    // The kubelet's thresholds: successThreshold passes to become ready, failureThreshold failures to stop being.
    m.streak = ok === m.ready ? 0 : m.streak + 1;
    const threshold = m.ready ? m.probe.failureThreshold : m.probe.successThreshold;
    if (m.streak >= threshold) {
      try {
        await this.setReady(m, ok, detail);
        m.ready = ok;
        m.streak = 0;
      } catch {
        // The pod may be gone or the API busy: the next probe tries again.
      }
    } else if (m.ready && podReady(m.pod) !== readyWithGates(m.pod, true)) {
      // A gate changed while this runner's own write was in flight: the kubelet's next status sync catches up.
      await this.setReady(m, true, 'readiness gate changed').catch(() => undefined);
    }
    m.probing = false;
    this.scheduleProbe(m, PROBE_INTERVAL_MS);
  }

  private async setReady(m: Managed, ready: boolean, detail: string): Promise<void> {
    if (this.stopped || m.terminating) return;
    const now = new Date().toISOString();
    const condition = (type: string, status: boolean, reason: string | null, message: string | null) => ({
      type,
      status: status ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
      reason: status ? null : reason,
      message: status ? null : message,
    });
    const probe = `readiness probe failed: ${detail}`;
    const closed = closedGates(m.pod);
    // containerStatuses is an atomic list: the whole list goes, with this container's `ready` changed.
    const statuses = (m.pod.status?.containerStatuses ?? []).map((s: V1ContainerStatus) =>
      s.name === m.container ? { ...s, ready } : s,
    );
    await this.core.patchNamespacedPodStatus(
      {
        name: m.name,
        namespace: this.namespace,
        body: {
          status: {
            conditions: [
              condition('ContainersReady', ready, 'ContainersNotReady', probe),
              ready
                ? condition(
                    'Ready',
                    closed.length === 0,
                    'ReadinessGatesNotReady',
                    `the status of pod readiness gate ${closed.map((g) => JSON.stringify(g)).join(', ')} is not "True"`,
                  )
                : condition('Ready', false, 'ContainersNotReady', probe),
            ],
            containerStatuses: statuses,
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }
}
