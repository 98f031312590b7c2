import { SiftError } from '../../errors.js';
import {
  errorRatioCheck,
  frontDoorAnalysis,
  latencyCheck,
  PrometheusClient,
  PROBE_CHECKS,
  probeAnalysis,
  sampledAnalysis,
} from '../../rollout/analysis/index.js';
import { parseDuration } from '../../rollout/duration.js';
import type { Analysis } from '../../rollout/types.js';

/** The analysis flags of `sift deploy` (strings, as commander gives them). */
export interface AnalysisFlags {
  frontDoor?: string;
  frontDoorRequests: string;
  frontDoorMinSuccess: string;
  probePath?: string[];
  probeHeader?: string[];
  prometheus?: string;
  maxErrorRatio: string;
  maxP99: string;
  analysisWindow: string;
  analysisSamples: string;
  analysisInterval: string;
}

function num(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new SiftError('DEPLOY_INVALID', `${flag}: "${value}" is not a number`);
  }
  return n;
}

/**
 * `--probe-header 'X-API-Key: ...'` (repeatable): the release's credentials, sent with every probe and front-door
 * request, for a Sift whose reads need a key. Given on the command line (or from the environment by the shell),
 * never written anywhere.
 */
export function probeHeaders(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    const name = colon > 0 ? value.slice(0, colon).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new SiftError('DEPLOY_INVALID', `--probe-header: "${name || value}" is not "Name: value"`);
    }
    out[name.toLowerCase()] = value.slice(colon + 1).trim();
  }
  return out;
}

/**
 * Before traffic reaches the candidate: every instance answers the probe paths (the seed's live, ready and a
 * search), and with --prometheus its error ratio and p99 stay under the limits. After traffic moved: the same
 * paths, asked through the front door (nginx's URL on a host, or --front-door), must succeed.
 */
export function buildAnalyses(
  flags: AnalysisFlags,
  frontDoor: string | undefined,
): {
  analyses: Analysis[];
  afterSwitch: Analysis[];
  admission: string[];
  probeHeaders: Record<string, string>;
} {
  // The same paths gate every new instance before it joins the traffic, where the target can (the host).
  const admission = flags.probePath ?? PROBE_CHECKS.map((c) => c.path);
  const headers = probeHeaders(flags.probeHeader ?? []);
  const analyses: Analysis[] = [
    probeAnalysis({
      ...(flags.probePath ? { checks: flags.probePath.map((path) => ({ path })) } : {}),
      headers,
    }),
  ];
  if (flags.prometheus) {
    const source = new PrometheusClient({ url: flags.prometheus });
    const window = flags.analysisWindow;
    const checks = [
      errorRatioCheck(source, { maxRatio: num(flags.maxErrorRatio, '--max-error-ratio'), window }),
      latencyCheck(source, { maxSeconds: num(flags.maxP99, '--max-p99'), window }),
    ];
    const samples = num(flags.analysisSamples, '--analysis-samples');
    analyses.push(
      samples > 1
        ? sampledAnalysis(checks, {
            samples,
            intervalMs: parseDuration(flags.analysisInterval, '--analysis-interval'),
          })
        : {
            name: 'prometheus',
            run: async (ctx) => (await Promise.all(checks.map((c) => c.run(ctx)))).flat(),
          },
    );
  }
  const url = flags.frontDoor ?? frontDoor;
  const afterSwitch = url
    ? [
        frontDoorAnalysis({
          url,
          // The same paths the instances answered: a front door that only answers readiness serves no user.
          ...(flags.probePath ? { paths: flags.probePath } : {}),
          headers,
          requests: num(flags.frontDoorRequests, '--front-door-requests'),
          minSuccessRatio: num(flags.frontDoorMinSuccess, '--front-door-min-success'),
        }),
      ]
    : [];
  return { analyses, afterSwitch, admission, probeHeaders: headers };
}
