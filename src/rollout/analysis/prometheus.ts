import type { Analysis, AnalysisContext, Measurement } from '../types.js';
import { compare, parseComparator, type Comparator } from './comparator.js';
import {
  COLOR_LABEL,
  LATENCY_QUANTILE,
  MAX_ERROR_RATIO,
  MAX_LATENCY_SECONDS,
  PROMETHEUS_WINDOW,
} from './defaults.js';
import { formatValue, NO_DATA } from './measurement.js';
import { nameOption, numberOption } from './options.js';
import { PrometheusClient, type PrometheusSource } from './prometheus-client.js';
import {
  checkTemplate,
  errorRatioTemplate,
  fillTemplate,
  labelNameOption,
  latencyTemplate,
  matchersOption,
  windowOption,
} from './promql.js';

/** A user's own check, as the steps file spells it: a PromQL template held against a threshold. */
export interface MetricCheck {
  /** The measurement's name: `error ratio`, `p99 latency`, `queue depth`. */
  readonly name: string;
  /** PromQL with `{color}`, `{window}` and the `vars` placeholders; it must return one number. */
  readonly query: string;
  readonly comparator: Comparator;
  readonly threshold: number;
  /** Shown after values and threshold (`s`). */
  readonly unit?: string;
  /** Pass when the query finds nothing (no traffic yet) instead of failing as inconclusive. */
  readonly allowNoData?: boolean;
  readonly window?: string;
  readonly vars?: Readonly<Record<string, string>>;
}

type Source = PrometheusSource | PrometheusClient;
const clientOf = (source: Source) =>
  source instanceof PrometheusClient ? source : new PrometheusClient(source);

/** The generic check every Prometheus analysis is: fill the template, query, compare. */
export function metricCheck(source: Source, check: MetricCheck): Analysis {
  const client = clientOf(source);
  const name = nameOption('check name', check.name);
  const comparator = parseComparator(`${name}: comparator`, check.comparator);
  const threshold = numberOption(`${name}: threshold`, check.threshold, NaN, -Infinity, Infinity);
  const window = windowOption(`${name}: window`, check.window ?? PROMETHEUS_WINDOW);
  const vars = check.vars ?? {};
  const template = checkTemplate(`${name}: query`, check.query, vars);
  const unit = check.unit ? ` ${check.unit}` : '';
  const thresholdText = `${comparator} ${formatValue(threshold)}${unit}`;

  return {
    name,
    async run(ctx: AnalysisContext): Promise<Measurement[]> {
      const query = fillTemplate(template, { color: ctx.color, window, vars });
      const outcome = await client.query(query, ctx.signal);
      const base = { name, threshold: thresholdText };
      switch (outcome.kind) {
        case 'error':
          return [{ ...base, value: null, ok: false, detail: `${outcome.reason}; query: ${query}` }];
        case 'no-data':
          return [
            check.allowNoData
              ? { ...base, value: null, ok: true, detail: `${NO_DATA} (allowed)` }
              : { ...base, value: null, ok: false, detail: NO_DATA },
          ];
        case 'value': {
          const ok = compare(outcome.value, comparator, threshold);
          return [
            {
              ...base,
              // JSON has no infinity; the detail still says +Inf.
              value: Number.isFinite(outcome.value) ? outcome.value : null,
              ok,
              detail: `${ctx.color} over ${window}: ${formatValue(outcome.value)}${unit}`,
            },
          ];
        }
      }
    },
  };
}

interface BuiltInOptions {
  readonly window?: string;
  /** The target label naming the colour (default `color`). */
  readonly colorLabel?: string;
  /** Extra matchers for every selector, when one Prometheus scrapes several Sifts: `namespace="prod"`. */
  readonly matchers?: string;
  readonly allowNoData?: boolean;
}

/** 5xx answers over all answers of the colour under test (health probes and scrapes left out). */
export function errorRatioCheck(
  source: Source,
  options: BuiltInOptions & { readonly maxRatio?: number } = {},
) {
  const maxRatio = numberOption('max error ratio', options.maxRatio, MAX_ERROR_RATIO, 0, 1);
  const colorLabel = labelNameOption('color label', options.colorLabel ?? COLOR_LABEL);
  return metricCheck(source, {
    name: 'error ratio',
    query: errorRatioTemplate(colorLabel, matchersOption('matchers', options.matchers ?? '')),
    comparator: '<=',
    threshold: maxRatio,
    ...(options.window ? { window: options.window } : {}),
    ...(options.allowNoData ? { allowNoData: true } : {}),
  });
}

/** A latency quantile (p99 by default) of the colour's requests, in seconds. */
export function latencyCheck(
  source: Source,
  options: BuiltInOptions & { readonly quantile?: number; readonly maxSeconds?: number } = {},
) {
  const quantile = numberOption('latency quantile', options.quantile, LATENCY_QUANTILE, 0.01, 0.999);
  const maxSeconds = numberOption('max latency', options.maxSeconds, MAX_LATENCY_SECONDS, 0, 3600);
  const colorLabel = labelNameOption('color label', options.colorLabel ?? COLOR_LABEL);
  return metricCheck(source, {
    name: `p${formatValue(quantile * 100)} latency`,
    query: latencyTemplate(colorLabel, quantile, matchersOption('matchers', options.matchers ?? '')),
    comparator: '<=',
    threshold: maxSeconds,
    unit: 's',
    ...(options.window ? { window: options.window } : {}),
    ...(options.allowNoData ? { allowNoData: true } : {}),
  });
}
