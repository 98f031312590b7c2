/**
 * The three axes of a release, each a small interface with sibling implementations:
 *   Target        where Sift runs (Kubernetes Deployments, or processes on one host),
 *   TrafficRouter who gets the requests (a Service selector, Istio VirtualService weights, an nginx upstream,
 *                 HAProxy weights),
 *   Analysis      whether the new version is healthy (HTTP probes, Prometheus queries).
 * Strategies (blue-green, rolling, canary) are written once against these, so each works on every target.
 *
 * Sift runs as two colours, blue and green. Blue-green and canary put the new version on the idle colour and move
 * traffic; rolling replaces the live colour's instances in place.
 */

export const COLORS = ['blue', 'green'] as const;
export type Color = (typeof COLORS)[number];
export const otherColor = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');

/** One colour's workload as the target sees it now. */
export interface TrackState {
  readonly color: Color;
  /** The image (Kubernetes) or release (host) the colour runs; null when it was never deployed. */
  readonly image: string | null;
  /** Instances asked for. */
  readonly desired: number;
  /** Instances that run the current image and pass readiness. */
  readonly ready: number;
  /** Instances that run the current image, ready or not. */
  readonly updated: number;
  /** Instances of any image that still exist (old ones included while a rollout is in progress). */
  readonly total: number;
  /** A target-specific revision (Deployment generation/revision, host release counter). */
  readonly revision?: string;
  /**
   * Instances whose containers are ready but that wait at the admission gate for `sift deploy` (a release or the
   * agent) to let them take traffic (Kubernetes); absent when none does.
   */
  readonly awaitingAdmission?: number;
  /**
   * Why instances of the current image are not counted ready, one line each (`blue-2 on :41234: no answer within
   * 2000 ms`), for an operator reading a refusal or a status; absent when the target cannot say or all are ready.
   */
  readonly unready?: readonly string[];
}

export interface TargetState {
  readonly kind: TargetKind;
  /** Human description of where this is: `namespace/app on https://api:6443`, `host behind nginx :8080`. */
  readonly where: string;
  readonly tracks: Readonly<Record<Color, TrackState>>;
}

export type TargetKind = 'kubernetes' | 'host';

/** One running copy of Sift: a pod or a process. */
export interface Instance {
  readonly id: string;
  readonly color: Color;
  readonly image: string | null;
  /** Where it listens, for messages (`10.0.0.5:8000`, `127.0.0.1:8101`). */
  readonly address: string;
  readonly ready: boolean;
}

/** What a probe saw. A failed probe is a measurement, never an exception. */
export interface ProbeResult {
  readonly instance: string;
  readonly path: string;
  readonly ok: boolean;
  readonly status: number | null;
  readonly ms: number;
  readonly error?: string;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Called whenever the readiness picture changes (for the progress view). */
  readonly onProgress?: (track: TrackState) => void;
}

/** The outcome of waiting for a colour: ready, or why not (timed out, progress deadline exceeded, ...). */
export type ReadyResult =
  | { readonly ok: true; readonly track: TrackState }
  | { readonly ok: false; readonly track: TrackState; readonly reason: string };

/**
 * What a release asks of each new instance before it takes traffic, and of the colour between the batches of an
 * in-place update. The host target honours both before an instance enters its router; the Kubernetes target at
 * the pods' readiness gate (`sift.dev/admitted`), which its waitReady opens pod by pod.
 */
export interface SetImageOptions {
  /**
   * Paths every new instance must answer 2xx, after its readiness and before it joins the traffic (the release's
   * probes: a real search among them). A failing instance is stopped and the update stops with the reason.
   */
  readonly admission?: readonly string[];
  /** Headers of those requests: the release's credentials. Kept in memory, never written to the target's state. */
  readonly admissionHeaders?: Readonly<Record<string, string>>;
  /**
   * Runs after each batch of an in-place update took its share of the traffic and before the next batch starts,
   * while instances of the previous image remain: a reason stops the update there, null lets it go on.
   */
  readonly betweenBatches?: () => Promise<string | null>;
}

/** How a target reads its state. */
export interface StateOptions {
  /**
   * Multiplies the time a live readiness probe may wait for an answer (1 by default), where the target probes its
   * instances itself (a host). A look that found a colour unready asks again with more patience, so an instance
   * slow to answer on a busy machine is not taken for a dead one. A target that reads readiness from its platform
   * (Kubernetes) ignores it.
   */
  readonly patience?: number;
}

/** Where Sift runs. Writes honour the target's dry-run mode (server-side dry run on Kubernetes). */
export interface Target {
  readonly kind: TargetKind;
  /**
   * Instances a colour runs when neither --replicas nor a live colour says (the first release): the host config's
   * `instances`. Without it, 1.
   */
  readonly defaultReplicas?: number;
  state(options?: StateOptions): Promise<TargetState>;
  /**
   * Runs `image` on `color`. When the colour has instances this is a rolling update of them (surge first, old
   * instances drained and removed as new ones become ready); with zero instances it only records the image.
   * `options` gate what the update lets through, where the target can (see SetImageOptions).
   */
  setImage(color: Color, image: string, options?: SetImageOptions): Promise<void>;
  scale(color: Color, replicas: number): Promise<void>;
  /**
   * Resolves when every desired instance of `color` runs its current image and is ready, old instances are gone,
   * and the endpoints that carry traffic list no old instance.
   */
  waitReady(color: Color, options: WaitOptions): Promise<ReadyResult>;
  instances(color: Color): Promise<Instance[]>;
  /**
   * GET `path` on one instance (through the API server's pod proxy on Kubernetes), with `headers` (the release's
   * credentials, e.g. `X-API-Key`, when reads need them).
   */
  probe(
    instance: Instance,
    path: string,
    timeoutMs: number,
    headers?: Readonly<Record<string, string>>,
  ): Promise<ProbeResult>;
  /** Puts `color` back on the image it ran before the last setImage (rolling rollback, `rollout undo`). */
  undo(color: Color): Promise<void>;
  /** The release record and lock live with the target, so two operators on two machines see the same. */
  readonly store: ReleaseStore;
  close?(): Promise<void>;
}

/** Who gets traffic: a percentage per colour, summing to 100. */
export type TrafficSplit = Readonly<Record<Color, number>>;

export interface RouterCheck {
  readonly ok: boolean;
  /** What the router's live configuration says (read back, not remembered). */
  readonly actual: TrafficSplit | null;
  readonly detail?: string;
}

export interface TrafficRouter {
  /** `service-selector`, `virtual-service`, `nginx`, `haproxy`. */
  readonly kind: string;
  /** False when the router can only send all traffic to one colour (a Service selector). */
  readonly supportsWeights: boolean;
  current(): Promise<TrafficSplit>;
  /** All traffic to `color`, atomically. */
  switchTo(color: Color): Promise<void>;
  /** `percent` of traffic to `color`, the rest to the other colour. Refused (DEPLOY_UNSUPPORTED) without weights. */
  setWeight(color: Color, percent: number): Promise<void>;
  /** Reads the live configuration back and compares it with `expected`. */
  verify(expected: TrafficSplit): Promise<RouterCheck>;
}

/** A target and the router in front of it, opened for one CLI command. */
export interface Deployment {
  readonly target: Target;
  readonly router: TrafficRouter;
  /** The URL clients use on this target, when it is known (nginx's on a host). */
  readonly frontDoor?: string;
  close(): Promise<void>;
}

/** One measured value of an analysis, with its threshold and verdict. */
export interface Measurement {
  /** `probe /health/ready`, `error ratio`, `p99 latency`, `front-door success`. */
  readonly name: string;
  readonly value: number | null;
  /** Human threshold: `<= 0.01`, `>= 8/10`, `200`. */
  readonly threshold: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface AnalysisContext {
  /** The colour under test. */
  readonly color: Color;
  readonly target: Target;
  readonly signal: AbortSignal;
}

export interface Analysis {
  readonly name: string;
  run(ctx: AnalysisContext): Promise<Measurement[]>;
}

export type Strategy = 'blue-green' | 'rolling' | 'canary';

/** One canary step: a weight to hold for a while (analysed at the end), or a pause until `promote`. */
export type CanaryStep =
  | { readonly weight: number }
  | { readonly pause: { readonly seconds?: number } }
  | { readonly analysis: true };

export type ReleasePhase =
  'progressing' | 'paused' | 'succeeded' | 'rolled-back' | 'rollback-failed' | 'aborted';

/** What `sift deploy status` shows and `promote|abort|rollback` act on; written by the strategies. */
export interface ReleaseRecord {
  readonly id: string;
  readonly strategy: Strategy;
  readonly phase: ReleasePhase;
  /** The colour that served before the release, and its image. */
  readonly stable: { readonly color: Color; readonly image: string | null };
  /** The colour and image being released. For rolling, the same colour as stable. */
  readonly candidate: { readonly color: Color; readonly image: string };
  /** For canary: the index of the next step to run and the weight now on the candidate. */
  readonly step?: number;
  readonly weight?: number;
  readonly steps?: readonly CanaryStep[];
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly message: string;
  /** Who started it: user@host pid. */
  readonly owner: string;
  /** The traffic router it moved (`service-selector`, `virtual-service+service-selector`, `nginx`). */
  readonly router?: string;
  /** What an operator asked of the running release from another process (`sift deploy abort|promote`). */
  readonly request?: ReleaseRequest;
}

/**
 * A cooperative request: the running release holds the lock, so `abort` and `promote` cannot act themselves; they
 * write this into the record and the release acts on it at its next wait.
 */
export interface ReleaseRequest {
  readonly action: 'abort' | 'promote';
  /** Who asked: user@host pid. */
  readonly by: string;
  readonly at: string;
  /** Set by the running release when it acted on the request. */
  readonly takenAt?: string;
}

export interface Lock {
  readonly owner: string;
  release(): Promise<void>;
}

export interface ReleaseStore {
  /** Takes the target's deploy lock, or throws DEPLOY_LOCKED naming the holder. Stale locks expire. */
  lock(owner: string): Promise<Lock>;
  read(): Promise<ReleaseRecord | null>;
  write(record: ReleaseRecord): Promise<void>;
  /**
   * Read-modify-write under the store's concurrency control, so two processes writing the record (a release and an
   * operator's request) never lose each other's change. `change` may run again after a concurrent write; it returns
   * the record to write, or null to write nothing. Resolves to the record as it now stands.
   */
  update(change: (current: ReleaseRecord | null) => ReleaseRecord | null): Promise<ReleaseRecord | null>;
}
