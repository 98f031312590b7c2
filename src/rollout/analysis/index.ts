/** Release analysis: probes of every instance, requests through the front door, Prometheus queries. */
export * from './defaults.js';
export { probeAnalysis, type ProbeCheck, type ProbeOptions } from './probes.js';
export { frontDoorAnalysis, type FrontDoorOptions } from './front-door.js';
export { errorRatioCheck, latencyCheck, metricCheck, type MetricCheck } from './prometheus.js';
export { PrometheusClient, type PrometheusSource, type QueryOutcome } from './prometheus-client.js';
export { COMPARATORS, compare, parseComparator, type Comparator } from './comparator.js';
export { runAnalyses, describeMeasurement, type AnalysisRun, type RunOptions, type Sample } from './run.js';
export { sampledAnalysis } from './sampled.js';
export { NO_DATA, isNoData } from './measurement.js';
