import type { V1Service } from '@kubernetes/client-node';
import { SiftError } from '../../errors.js';
import { kubeCall } from '../platform/kubernetes/api-errors.js';
import { PatchStrategy, type KubeClient } from '../platform/kubernetes/client.js';
import {
  COLORS,
  otherColor,
  type Color,
  type RouterCheck,
  type TrafficRouter,
  type TrafficSplit,
} from '../types.js';
import { checkPercent, sameSplit } from './split.js';

export interface ServiceSelectorOptions {
  readonly client: KubeClient;
  /** The Service clients use; its `color` selector names the live colour (deploy/k8s/base/service.yaml). */
  readonly service?: string;
}

/** The colour a Service's selector names, as a split, or null when it names none. */
export function splitOfService(service: V1Service): TrafficSplit | null {
  const color = service.spec?.selector?.color;
  if (!(COLORS as readonly string[]).includes(color ?? '')) return null;
  return color === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 };
}

/**
 * Blue-green on plain Kubernetes: all traffic goes to the colour the Service selects, and a switch is one merge
 * patch of `spec.selector.color` (the endpoints change in one step). No weights: a selector picks pods, not shares.
 */
export class ServiceSelectorRouter implements TrafficRouter {
  readonly kind = 'service-selector';
  readonly supportsWeights = false;
  private readonly client: KubeClient;
  private readonly service: string;

  constructor(options: ServiceSelectorOptions) {
    this.client = options.client;
    this.service = options.service ?? 'sift';
  }

  private get what(): string {
    return `Service ${this.client.namespace}/${this.service}`;
  }

  private read(): Promise<V1Service> {
    return kubeCall(this.what, () =>
      this.client.core.readNamespacedService({ name: this.service, namespace: this.client.namespace }),
    );
  }

  async current(): Promise<TrafficSplit> {
    const service = await this.read();
    const split = splitOfService(service);
    if (!split) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `${this.what} selects no colour (spec.selector.color is ${JSON.stringify(service.spec?.selector?.color ?? null)})`,
      );
    }
    return split;
  }

  async switchTo(color: Color): Promise<void> {
    if (!(COLORS as readonly string[]).includes(color)) {
      throw new SiftError('DEPLOY_INVALID', `unknown colour ${JSON.stringify(color)}`);
    }
    await kubeCall(this.what, () =>
      this.client.core.patchNamespacedService(
        {
          name: this.service,
          namespace: this.client.namespace,
          body: { spec: { selector: { color } } },
          dryRun: this.client.dryRunParam,
        },
        this.client.patchAs(PatchStrategy.MergePatch),
      ),
    );
  }

  async setWeight(color: Color, percent: number): Promise<void> {
    checkPercent(percent);
    if (percent === 100) return this.switchTo(color);
    if (percent === 0) return this.switchTo(otherColor(color));
    throw new SiftError(
      'DEPLOY_UNSUPPORTED',
      `${this.what} can send all traffic to one colour only, not ${percent}% to ${color}; use the Istio router for weights`,
    );
  }

  async verify(expected: TrafficSplit): Promise<RouterCheck> {
    const service = await this.read();
    const actual = splitOfService(service);
    if (!actual) return { ok: false, actual: null, detail: `${this.what} selects no colour` };
    const ok = sameSplit(actual, expected);
    return {
      ok,
      actual,
      ...(ok ? {} : { detail: `${this.what} selects color=${service.spec?.selector?.color}` }),
    };
  }
}
