import type {
  Analysis,
  CanaryStep,
  Color,
  Measurement,
  ReleaseRecord,
  Strategy,
  Target,
  TrackState,
  TrafficRouter,
} from '../types.js';

/** Everything a strategy needs; the CLI builds it from flags, tests build it over real targets. */
export interface RolloutContext {
  readonly target: Target;
  readonly router: TrafficRouter;
  /** Checks of the candidate before it takes traffic and at each canary step (probes, Prometheus). */
  readonly analyses: readonly Analysis[];
  /** Checks after traffic moved (requests through the front door). */
  readonly afterSwitch: readonly Analysis[];
  /** Aborted on Ctrl-C or when the release's --timeout passes; the strategy then retreats to a healthy version. */
  readonly signal: AbortSignal;
  readonly report: (event: RolloutEvent) => void;
  /** `user@host pid N`: shown to a second operator refused by the lock. */
  readonly owner: string;
  readonly options: RolloutOptions;
}

export interface RolloutOptions {
  readonly image: string;
  /** Bound for each wait for readiness. The overall --timeout arrives through `signal`. */
  readonly readyTimeoutMs: number;
  /** How long the old colour keeps running after traffic left it, so a rollback is instant. */
  readonly scaleDownDelayMs: number;
  /** Instances of the candidate; defaults to what the live colour runs (at least 1). */
  readonly replicas?: number;
  /** Writes are server-side dry runs (or validated only); nothing waits, nothing is recorded. */
  readonly dryRun: boolean;
  readonly steps?: readonly CanaryStep[];
  /** Bound for the retreat after a failure; it runs even when `signal` has aborted. */
  readonly rollbackTimeoutMs: number;
  /**
   * The release's probe paths, which every new instance must answer 2xx before it joins the traffic (the host's
   * router; on Kubernetes the pods' readiness gate). Default: none beyond readiness.
   */
  readonly admission?: readonly string[];
  /** Headers of the probes (the release's credentials, `--probe-header`); never written to the target's state. */
  readonly probeHeaders?: Readonly<Record<string, string>>;
  /** Release even when the live colour runs fewer ready instances than it asks for (refused otherwise). */
  readonly force?: boolean;
}

export type RolloutEvent =
  | { readonly type: 'phase'; readonly message: string }
  | { readonly type: 'action'; readonly message: string }
  | { readonly type: 'progress'; readonly track: TrackState }
  | { readonly type: 'measurement'; readonly color: Color; readonly measurement: Measurement }
  | { readonly type: 'warning'; readonly message: string };

/**
 * succeeded: the new version takes all traffic. paused: a canary waits for `promote`. rolled-back: the release
 * failed or was interrupted and traffic is on the previous version. rollback-failed: the retreat itself failed;
 * a person must look. aborted: `abort` put traffic back on the stable version. noop: nothing to do.
 * unchanged: `rollback` could not bring the previous version up, so traffic stayed on the current one.
 */
export type Outcome =
  'succeeded' | 'paused' | 'rolled-back' | 'rollback-failed' | 'aborted' | 'noop' | 'unchanged';

export interface RolloutResult {
  readonly strategy: Strategy | 'promote' | 'abort' | 'rollback';
  readonly outcome: Outcome;
  readonly dryRun: boolean;
  /** What changed, in order: the "says what was done" of an interrupted or failed release. */
  readonly actions: readonly string[];
  readonly measurements: readonly Measurement[];
  /** Why the release did not succeed (the first failed check, timeout or interrupt). */
  readonly reason?: string;
  readonly record: ReleaseRecord | null;
}
