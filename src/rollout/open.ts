import { SiftError } from '../errors.js';
import { KubeClient } from './platform/kubernetes/client.js';
import { KubernetesTarget } from './targets/kubernetes/target.js';
import { CombinedRouter } from './traffic/combined.js';
import { ServiceSelectorRouter } from './traffic/service-selector.js';
import { VirtualServiceRouter } from './traffic/virtual-service.js';
import type { Deployment, TargetKind } from './types.js';

/** Where and how to deploy, as the CLI flags say it. */
export interface TargetOptions {
  readonly target: TargetKind;
  readonly dryRun: boolean;
  // Kubernetes
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly app: string;
  readonly service: string;
  /** `service`: the Service selector only; `istio`: VirtualService weights and the selector together. */
  readonly router: 'service' | 'istio';
  readonly virtualService: string;
  readonly probe: 'proxy' | 'direct';
  // Host
  readonly hostConfig?: string;
}

export async function openDeployment(options: TargetOptions): Promise<Deployment> {
  if (options.target === 'host') return openHost(options);
  const client = new KubeClient({
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    dryRun: options.dryRun,
  });
  const target = new KubernetesTarget(
    { app: options.app, service: options.service, probe: options.probe, dryRun: options.dryRun },
    client,
  );
  const selector = new ServiceSelectorRouter({ client, service: options.service });
  const router =
    options.router === 'istio'
      ? new CombinedRouter(new VirtualServiceRouter({ client, name: options.virtualService }), selector)
      : selector;
  return { target, router, close: () => Promise.resolve() };
}

async function openHost(options: TargetOptions): Promise<Deployment> {
  if (!options.hostConfig) {
    throw new SiftError('DEPLOY_INVALID', '--target host needs --host-config <file> (see docs/deploy.md)');
  }
  const { openHostDeployment } = await import('./open-host.js');
  return openHostDeployment(options.hostConfig, { dryRun: options.dryRun });
}
