/**
 * The analyses' defaults, named in one place so the CLI help, the docs and the code agree. They follow the seed
 * where it had a number (probe paths, ten front-door requests) and are stricter where it was loose (8 of 10).
 */

/** What the seed probed on every instance, each expected to answer 200. */
export const PROBE_CHECKS: readonly { readonly path: string; readonly expect: readonly number[] }[] = [
  { path: '/health/live', expect: [200] },
  { path: '/health/ready', expect: [200] },
  // A real query: readiness says the engine answers, this says searches do.
  { path: '/api/search?q=test', expect: [200] },
];
export const PROBE_TIMEOUT_MS = 5_000;
/** Tries per instance and path before it counts as failing; a single dropped connection is not a verdict. */
export const PROBE_ATTEMPTS = 3;
/** Wait before the second try; doubled after each failure, capped by PROBE_MAX_BACKOFF_MS. */
export const PROBE_BACKOFF_MS = 250;
export const PROBE_MAX_BACKOFF_MS = 2_000;
/** Instances probed at once: enough for a large colour, few enough not to flood an API server's pod proxy. */
export const PROBE_CONCURRENCY = 8;

export const FRONT_DOOR_REQUESTS = 10;
export const FRONT_DOOR_MIN_SUCCESS_RATIO = 0.95;
export const FRONT_DOOR_TIMEOUT_MS = 5_000;
/** Spacing between front-door requests, so they sample a short stretch of time rather than one instant. */
export const FRONT_DOOR_INTERVAL_MS = 100;

export const PROMETHEUS_TIMEOUT_MS = 10_000;
/** The range of the rate() windows: long enough to hold a few scrapes at a 15 s interval. */
export const PROMETHEUS_WINDOW = '1m';
/** The target label that names the colour: set by deploy/prometheus and mapped from the pod label on Kubernetes. */
export const COLOR_LABEL = 'color';
export const MAX_ERROR_RATIO = 0.01;
export const LATENCY_QUANTILE = 0.99;
export const MAX_LATENCY_SECONDS = 0.5;

export const SAMPLES = 1;
export const SAMPLE_INTERVAL_MS = 5_000;
