import { hostname, userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { isSiftError } from '../../errors.js';
import { readStatus } from '../../rollout/status.js';
import { loadHostConfig } from '../../rollout/platform/host/config.js';
import { initHost } from '../../rollout/platform/host/init.js';
import {
  FRONT_DOOR_MIN_SUCCESS_RATIO,
  FRONT_DOOR_REQUESTS,
  MAX_ERROR_RATIO,
  MAX_LATENCY_SECONDS,
  PROBE_CHECKS,
  PROMETHEUS_WINDOW,
  SAMPLE_INTERVAL_MS,
  SAMPLES,
} from '../../rollout/analysis/defaults.js';
import { stepsFromFile, stepsFromFlags } from '../../rollout/canary-steps.js';
import { formatDuration, parseDuration } from '../../rollout/duration.js';
import { DEPLOY_EXIT, deployExitCode } from '../../rollout/exit-codes.js';
import type { TargetOptions } from '../../rollout/open.js';
import { blueGreen } from '../../rollout/strategies/blue-green.js';
import { canary } from '../../rollout/strategies/canary.js';
import type { RolloutContext, RolloutResult } from '../../rollout/strategies/context.js';
import { abort, promote, rollback } from '../../rollout/strategies/manage.js';
import { rolling } from '../../rollout/strategies/rolling.js';
import type { CanaryStep, Deployment } from '../../rollout/types.js';
import { colors } from '../format.js';
import { buildAnalyses, probeHeaders, type AnalysisFlags } from '../rollout/analyses.js';
import { printStatus } from '../rollout/status.js';
import { liveView, plainView, summaryLines, type ReleaseView } from '../rollout/view.js';
import type { CliContext } from '../context.js';

interface TargetFlags {
  target?: 'kubernetes' | 'host';
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  app: string;
  service: string;
  router?: 'service' | 'istio';
  virtualService: string;
  probe: 'proxy' | 'direct';
  hostConfig?: string;
  json?: boolean;
  timeout: string;
  dryRun?: boolean;
}

interface ReleaseFlags extends TargetFlags, AnalysisFlags {
  image: string;
  replicas?: string;
  readyTimeout: string;
  scaleDownDelay: string;
  rollbackTimeout: string;
  steps?: string;
  stepsFile?: string;
  stepPause: string;
  manual?: boolean;
  full?: boolean;
  force?: boolean;
}

type Action = (ctx: RolloutContext, flags: ReleaseFlags) => Promise<RolloutResult>;

function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--target <kind>',
        'where Sift runs (default: host with --host-config, else kubernetes)',
      ).choices(['kubernetes', 'host']),
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <ns>', 'namespace (default: the context namespace)')
    .option('--app <name>', 'Deployments are <app>-blue and <app>-green', 'sift')
    .option('--service <name>', 'the Service whose selector names the live colour', 'sift')
    .addOption(
      new Option(
        '--router <kind>',
        'Kubernetes traffic: Service selector, or Istio weights + selector (default: istio for canary, ' +
          'what the last release used for promote/abort/rollback, else service)',
      ).choices(['service', 'istio']),
    )
    .option('--virtual-service <name>', 'the Istio VirtualService (with --router istio)', 'sift')
    .addOption(
      new Option('--probe <via>', 'reach pods through the API server proxy or directly')
        .choices(['proxy', 'direct'])
        .default('proxy'),
    )
    .option(
      '--host-config <file>',
      'host target: instances, ports, release command and nginx or HAProxy (YAML)',
    )
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .option('--timeout <duration>', 'give up (and roll back) after this long', '15m');
}

function addReleaseOptions(cmd: Command): Command {
  return (
    cmd
      .option('--replicas <n>', 'instances of the new version (default: what the live colour runs)')
      .option('--ready-timeout <duration>', 'longest wait for the new instances to be ready', '5m')
      .option('--scale-down-delay <duration>', 'keep the old colour this long after the switch', '30s')
      .option('--rollback-timeout <duration>', 'bound for putting traffic back after a failure', '5m')
      .option('--dry-run', 'show what would change (server-side dry run on Kubernetes); change nothing')
      .option('--force', 'release even when the live colour has fewer ready instances than it asks for')
      .option('--front-door <url>', 'check this URL (nginx, ingress) after traffic moves')
      // The analysis defaults are the analyses' own (rollout/analysis/defaults.ts), so help and behaviour agree.
      .option('--front-door-requests <n>', 'requests through the front door', String(FRONT_DOOR_REQUESTS))
      .option(
        '--front-door-min-success <ratio>',
        'share of them that must succeed',
        String(FRONT_DOOR_MIN_SUCCESS_RATIO),
      )
      .option(
        '--probe-path <path...>',
        'paths every new instance must answer with 200 before it takes traffic',
      )
      .option(
        '--probe-header <header...>',
        "headers of the probes and front-door requests, e.g. 'X-API-Key: ...' when reads need a key",
      )
      .option('--prometheus <url>', 'Prometheus for error ratio and latency analysis')
      .option('--max-error-ratio <ratio>', '5xx share allowed for the new colour', String(MAX_ERROR_RATIO))
      .option('--max-p99 <seconds>', 'p99 latency allowed for the new colour', String(MAX_LATENCY_SECONDS))
      .option('--analysis-window <window>', 'PromQL range of the analysis queries', PROMETHEUS_WINDOW)
      .option('--analysis-samples <n>', 'samples per analysis step', String(SAMPLES))
      .option('--analysis-interval <duration>', 'time between samples', formatDuration(SAMPLE_INTERVAL_MS))
  );
}

function targetOptions(
  flags: TargetFlags,
  dryRun: boolean,
  router: 'service' | 'istio' = 'service',
): TargetOptions {
  const kind = flags.target ?? (flags.hostConfig ? 'host' : 'kubernetes');
  return {
    target: kind,
    dryRun,
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    app: flags.app,
    service: flags.service,
    router: flags.router ?? router,
    virtualService: flags.virtualService,
    probe: flags.probe,
    ...(flags.hostConfig ? { hostConfig: flags.hostConfig } : {}),
  };
}

function canarySteps(flags: ReleaseFlags): CanaryStep[] | undefined {
  if (flags.stepsFile) return stepsFromFile(flags.stepsFile);
  if (!flags.steps) return undefined;
  return stepsFromFlags(
    flags.steps,
    parseDuration(flags.stepPause, '--step-pause') / 1000,
    flags.manual === true,
  );
}

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw Object.assign(new Error(`${what} must be a whole number from 1 to 1000 (got "${value}")`), {
      usage: true,
    });
  }
  return n;
}

function viewFor(ctx: CliContext, json: boolean): ReleaseView {
  return !json && ctx.stderr.isTTY ? liveView(ctx.stderr) : plainView(ctx.stderr);
}

/**
 * Ctrl-C and the overall --timeout both abort the release signal; the strategy then retreats on its own bounded
 * signal and says what it did. A second Ctrl-C leaves at once.
 */
function releaseSignal(ctx: CliContext, timeoutMs: number): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const timer = setTimeout(
    () => ac.abort(new Error(`the release timed out after ${timeoutMs / 1000} s (--timeout)`)),
    timeoutMs,
  );
  const onSignal = (name: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      ctx.stderr.write('second interrupt: leaving now; run `sift deploy status` to see what is live\n');
      process.exit(DEPLOY_EXIT.ROLLBACK_FAILED);
    }
    ctx.stderr.write(`${name}: stopping the release and putting traffic on the previous version...\n`);
    ac.abort(new Error(`interrupted (${name})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

interface AgentFlags {
  hostConfig?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  app: string;
  probe: 'proxy' | 'direct';
  interval?: string;
  probePath?: string[];
  probeHeader?: string[];
}

/**
 * The agent's probe headers: `--probe-header`, else SIFT_PROBE_HEADER (one header line), which is how an agent
 * running in a pod gets its key from a Secret (deploy/k8s/agent) without it showing in the pod's command line.
 */
const agentProbeHeaders = (flags: AgentFlags) =>
  probeHeaders(flags.probeHeader ?? (process.env.SIFT_PROBE_HEADER ? [process.env.SIFT_PROBE_HEADER] : []));

/** `sift deploy agent` without --host-config: admits the pods the controller creates between releases. */
async function kubernetesAgent(
  ctx: CliContext,
  flags: AgentFlags,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  const { openDeployment } = await loadTargets();
  const { runKubernetesAgent } = await import('../../rollout/targets/kubernetes/agent.js');
  const { KubernetesTarget } = await import('../../rollout/targets/kubernetes/target.js');
  const deployment = await openDeployment(
    targetOptions({ ...flags, service: 'sift', virtualService: 'sift', timeout: '0s' }, false),
  );
  try {
    if (!(deployment.target instanceof KubernetesTarget)) throw new Error('expected a Kubernetes target');
    await runKubernetesAgent(deployment.target, {
      intervalMs,
      admission: flags.probePath ?? PROBE_CHECKS.map((c) => c.path),
      probeHeaders: agentProbeHeaders(flags),
      signal,
      log: (line) => ctx.stdout.write(`${new Date().toISOString()} ${line}\n`),
    });
  } finally {
    await deployment.close().catch(() => undefined);
  }
}

type RouterDefault = 'service' | 'istio' | 'from-record';

/**
 * The targets (the Kubernetes client above all) load when a deploy command runs, not when the CLI starts: they
 * take over a second and 140 MB to import, which `sift search` and every other command would otherwise pay.
 */
const loadTargets = () => import('../../rollout/open.js');

/**
 * Opens the target with the router the flags name; without --router, canary defaults to Istio and the managing
 * commands use the router the last release moved, so `abort` of an Istio canary also resets its weights.
 */
async function open(flags: TargetFlags, dryRun: boolean, routerDefault: RouterDefault): Promise<Deployment> {
  const { openDeployment } = await loadTargets();
  const first = await openDeployment(
    targetOptions(flags, dryRun, routerDefault === 'istio' ? 'istio' : 'service'),
  );
  if (routerDefault !== 'from-record' || flags.router || first.target.kind !== 'kubernetes') return first;
  const record = await first.target.store.read();
  if (!record?.router?.startsWith('virtual-service')) return first;
  await first.close();
  return (await loadTargets()).openDeployment(targetOptions(flags, dryRun, 'istio'));
}

async function runAction(
  ctx: CliContext,
  flags: ReleaseFlags,
  routerDefault: RouterDefault,
  action: Action,
): Promise<void> {
  const json = flags.json === true;
  const dryRun = flags.dryRun === true;
  let deployment: Deployment | null = null;
  try {
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    deployment = await open(flags, dryRun, routerDefault);
    const {
      analyses,
      afterSwitch,
      admission,
      probeHeaders: headers,
    } = buildAnalyses(flags, deployment.frontDoor);
    const steps = canarySteps(flags);
    const replicas = positiveInt(flags.replicas, '--replicas');
    const view = viewFor(ctx, json);
    const signal = releaseSignal(ctx, timeoutMs);
    try {
      const result = await action(
        {
          target: deployment.target,
          router: deployment.router,
          analyses,
          afterSwitch,
          signal: signal.signal,
          report: (e) => view.report(e),
          owner: `${userInfo().username}@${hostname()} pid ${process.pid}`,
          options: {
            image: flags.image,
            readyTimeoutMs: parseDuration(flags.readyTimeout, '--ready-timeout'),
            scaleDownDelayMs: parseDuration(flags.scaleDownDelay, '--scale-down-delay'),
            rollbackTimeoutMs: parseDuration(flags.rollbackTimeout, '--rollback-timeout'),
            dryRun,
            admission,
            probeHeaders: headers,
            force: flags.force === true,
            ...(replicas !== undefined ? { replicas } : {}),
            ...(steps ? { steps } : {}),
          },
        },
        flags,
      );
      view.close();
      printResult(ctx, result, json);
      ctx.exitCode = deployExitCode(result);
    } finally {
      signal.dispose();
      view.close();
    }
  } catch (err) {
    ctx.exitCode = reportError(ctx, err, json);
  } finally {
    await deployment?.close().catch(() => undefined);
  }
}

function printResult(ctx: CliContext, result: RolloutResult, json: boolean): void {
  if (json) {
    ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const c = colors(ctx.stdout);
  const [head, ...rest] = summaryLines(result);
  const ok = deployExitCode(result) === DEPLOY_EXIT.OK;
  ctx.stdout.write(`${ok ? c.green(head!) : c.red(head!)}\n${rest.map((l) => `${l}\n`).join('')}`);
}

/** Refusals (lock held, nothing to promote, bad flags) exit before anything changed; say why, in JSON too. */
function reportError(ctx: CliContext, err: unknown, json: boolean): number {
  const usage =
    (isSiftError(err) && (err.code === 'DEPLOY_INVALID' || err.code === 'DEPLOY_UNSUPPORTED')) ||
    (err instanceof Error && (err as { usage?: boolean }).usage === true);
  const code = isSiftError(err) ? err.code : usage ? 'DEPLOY_INVALID' : 'DEPLOY_TARGET_UNAVAILABLE';
  const message = err instanceof Error ? err.message : String(err);
  if (json) ctx.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
  ctx.stderr.write(colors(ctx.stderr).red(`error ${code}: ${message}`) + '\n');
  return usage ? DEPLOY_EXIT.USAGE : DEPLOY_EXIT.REFUSED;
}

export function registerDeployCommands(program: Command, ctx: CliContext): void {
  const deploy = program
    .command('deploy')
    .description(
      'release a new version with blue-green, rolling or canary, verified and rolled back on failure',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 done (or paused for promote), 1 refused before any change, 2 bad usage,\n' +
        '            3 failed and rolled back (traffic on the previous version), 4 rollback failed too.',
    );

  const release = (name: string, description: string, defaultRouter: 'service' | 'istio', action: Action) => {
    const cmd = addReleaseOptions(
      addTargetOptions(deploy.command(name).description(description)),
    ).requiredOption('--image <image>', 'the image (Kubernetes) or release (host) to deploy');
    if (name === 'canary') {
      cmd
        .option('--steps <weights>', 'traffic percentages, e.g. 10,25,50 (100 follows)')
        .option('--step-pause <duration>', 'hold each weight this long before its analysis', '60s')
        .option('--manual', 'pause before full promotion until `sift deploy promote`')
        .option('--steps-file <file>', 'steps from a YAML file (weights, pauses, analysis)');
    }
    cmd.action((flags: ReleaseFlags) => runAction(ctx, flags, defaultRouter, action));
  };
  release(
    'blue-green',
    'deploy on the idle colour, verify, switch all traffic, keep the old colour briefly',
    'service',
    (c) => blueGreen(c),
  );
  release('rolling', "replace the live colour's instances in place; undo on failure", 'service', (c) =>
    rolling(c),
  );
  release('canary', 'move traffic to the new version step by step, analysing each step', 'istio', (c) =>
    canary(c),
  );

  const manage = (name: string, description: string, action: Action) => {
    const cmd = addReleaseOptions(addTargetOptions(deploy.command(name).description(description)));
    if (name === 'promote') cmd.option('--full', 'skip the remaining steps and send all traffic now');
    cmd.action((flags: ReleaseFlags) => runAction(ctx, { ...flags, image: '' }, 'from-record', action));
  };
  manage('promote', 'resume a paused canary (or --full: promote it now)', (c, f) =>
    promote(c, f.full === true),
  );
  manage('abort', 'stop an unfinished release and put all traffic on the stable version', (c) => abort(c));
  manage('rollback', 'go back to the version before the last release', (c) => rollback(c));

  deploy
    .command('init')
    .description(
      'prepare a host for its first release: the HAProxy backend file (or nginx upstream include) and the state directory',
    )
    .requiredOption(
      '--host-config <file>',
      'host target: instances, ports, release command and nginx or HAProxy (YAML)',
    )
    .option('--json', 'print what was written as JSON on stdout')
    .action(async (flags: { hostConfig: string; json?: boolean }) => {
      try {
        const config = loadHostConfig(flags.hostConfig);
        const done = await initHost(config);
        if (flags.json) ctx.stdout.write(`${JSON.stringify(done, null, 2)}\n`);
        else {
          for (const line of done.wrote) ctx.stdout.write(`wrote ${line}\n`);
          for (const line of done.kept) ctx.stdout.write(`kept ${line}\n`);
          ctx.stdout.write(
            `next: start (or reload) ${config.router}, then \`sift deploy blue-green --image <release> --host-config ${flags.hostConfig}\`\n`,
          );
        }
      } catch (err) {
        ctx.exitCode = reportError(ctx, err, flags.json === true);
      }
    });

  deploy
    .command('agent')
    .description(
      "supervise a host's instances (replace any that dies), or on Kubernetes admit pods created between releases",
    )
    .option(
      '--host-config <file>',
      'host target: instances, ports, release command and nginx or HAProxy (YAML); without it, Kubernetes',
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <ns>', 'namespace (default: the context namespace)')
    .option('--app <name>', 'Deployments are <app>-blue and <app>-green', 'sift')
    .addOption(
      new Option('--probe <via>', 'reach pods through the API server proxy or directly')
        .choices(['proxy', 'direct'])
        .default('proxy'),
    )
    .option(
      '--interval <duration>',
      'time between two looks at the instances (default: 500ms, Kubernetes 2s)',
    )
    .option(
      '--probe-path <path...>',
      'Kubernetes: paths a new pod must answer with 200 before it is admitted (default: the release probes)',
    )
    .option(
      '--probe-header <header...>',
      "headers of the release's probes, e.g. 'X-API-Key: ...' (default: SIFT_PROBE_HEADER, one header)",
    )
    .action(async (flags: AgentFlags) => {
      const stop = new AbortController();
      const onSignal = (name: NodeJS.Signals) => {
        ctx.stderr.write(`${name}: the agent stops\n`);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        // Each look on Kubernetes is a handful of API requests: every 2 s by default, not every 500 ms.
        const intervalMs = parseDuration(flags.interval ?? (flags.hostConfig ? '500ms' : '2s'), '--interval');
        if (!flags.hostConfig) {
          await kubernetesAgent(ctx, flags, intervalMs, stop.signal);
          return;
        }
        const config = loadHostConfig(flags.hostConfig);
        const { runAgent } = await import('../../rollout/targets/host/agent.js');
        await runAgent(config, {
          intervalMs,
          probeHeaders: agentProbeHeaders(flags),
          signal: stop.signal,
          log: (line) => ctx.stdout.write(`${new Date().toISOString()} ${line}\n`),
        });
      } catch (err) {
        ctx.exitCode = reportError(ctx, err, false);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  addTargetOptions(
    deploy.command('status').description('colours, images, readiness, traffic and the last release'),
  ).action(async (flags: TargetFlags) => {
    let deployment: Deployment | null = null;
    try {
      deployment = await open(flags, false, 'from-record');
      const status = await readStatus(deployment);
      if (flags.json) ctx.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else printStatus(ctx.stdout, status);
    } catch (err) {
      ctx.exitCode = reportError(ctx, err, flags.json === true);
    } finally {
      await deployment?.close().catch(() => undefined);
    }
  });
}
