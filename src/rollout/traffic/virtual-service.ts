import { SiftError } from '../../errors.js';
import { httpStatusOf, kubeCall } from '../platform/kubernetes/api-errors.js';
import { PatchStrategy, type KubeClient } from '../platform/kubernetes/client.js';
import { checkPercent, sameSplit } from './split.js';
import {
  COLORS,
  otherColor,
  type Color,
  type RouterCheck,
  type TrafficRouter,
  type TrafficSplit,
} from '../types.js';

/** The parts of an Istio VirtualService this router reads and writes (networking.istio.io/v1). */
export interface RouteDestination {
  destination?: { host?: string; subset?: string; port?: unknown };
  weight?: number;
  [key: string]: unknown;
}
export interface HttpRoute {
  name?: string;
  route?: RouteDestination[];
  [key: string]: unknown;
}
export interface VirtualService {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { http?: HttpRoute[] };
}

export interface VirtualServiceOptions {
  readonly client: KubeClient;
  /** The VirtualService (deploy/k8s/istio/virtualservice.yaml). */
  readonly name?: string;
  /** The http route whose weights move; header-matched routes before it are left alone. */
  readonly route?: string;
}

const GROUP = 'networking.istio.io';
const VERSION = 'v1';
const PLURAL = 'virtualservices';
const CAS_ATTEMPTS = 4;

export function findRoute(vs: VirtualService, routeName: string): { index: number; route: HttpRoute } {
  const http = vs.spec?.http ?? [];
  const index = http.findIndex((r) => r.name === routeName);
  const route = http[index];
  if (!route) {
    const names = http.map((r) => r.name ?? '(unnamed)').join(', ');
    throw new SiftError(
      'DEPLOY_INVALID',
      `VirtualService ${vs.metadata?.name ?? ''} has no http route named ${routeName} (it has: ${names || 'none'})`,
    );
  }
  return { index, route };
}

/**
 * The blue/green shares of a route. Istio gives a lone destination without weight all traffic; a destination on
 * any other subset, or weights not adding up to 100, make the route one this router does not understand.
 */
export function splitOfRoute(route: HttpRoute): TrafficSplit {
  const destinations = route.route ?? [];
  const split = { blue: 0, green: 0 };
  for (const d of destinations) {
    const subset = d.destination?.subset ?? '';
    if (!(COLORS as readonly string[]).includes(subset)) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `route ${route.name} sends traffic to subset ${JSON.stringify(subset)}`,
      );
    }
    const weight = d.weight ?? (destinations.length === 1 ? 100 : 0);
    split[subset as Color] += weight;
  }
  if (split.blue + split.green !== 100) {
    throw new SiftError(
      'DEPLOY_INVALID',
      `route ${route.name} weights add up to ${split.blue + split.green}, not 100 (blue ${split.blue}, green ${split.green})`,
    );
  }
  return split;
}

/** The route's destinations with new weights: existing ones keep their host and port; a missing colour is added. */
export function destinationsFor(route: HttpRoute, split: TrafficSplit): RouteDestination[] {
  const existing = route.route ?? [];
  const template = existing.find((d) => d.destination?.host)?.destination;
  if (!template?.host) {
    throw new SiftError('DEPLOY_INVALID', `route ${route.name} has no destination host to route to`);
  }
  const out = existing.map((d) => ({ ...d, weight: split[d.destination?.subset as Color] }));
  for (const color of COLORS) {
    if (!out.some((d) => d.destination?.subset === color)) {
      out.push({ destination: { ...template, subset: color }, weight: split[color] });
    }
  }
  return out;
}

/**
 * Canary weights on Istio: the `default` http route of the VirtualService splits traffic between the `blue` and
 * `green` subsets. Changes are JSON patches guarded by `test` ops on the resourceVersion and the route's name,
 * so a concurrent edit makes the patch fail (and it is retried on a fresh read) instead of being overwritten.
 * Custom resources take no strategic merge, hence the explicit content type.
 */
export class VirtualServiceRouter implements TrafficRouter {
  readonly kind = 'virtual-service';
  readonly supportsWeights = true;
  private readonly client: KubeClient;
  private readonly name: string;
  private readonly routeName: string;

  constructor(options: VirtualServiceOptions) {
    this.client = options.client;
    this.name = options.name ?? 'sift';
    this.routeName = options.route ?? 'default';
  }

  private get what(): string {
    return `VirtualService ${this.client.namespace}/${this.name}`;
  }

  private async read(): Promise<VirtualService> {
    return (await kubeCall(this.what, () =>
      this.client.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.client.namespace,
        plural: PLURAL,
        name: this.name,
      }),
    )) as VirtualService;
  }

  async current(): Promise<TrafficSplit> {
    return splitOfRoute(findRoute(await this.read(), this.routeName).route);
  }

  switchTo(color: Color): Promise<void> {
    return this.setWeight(color, 100);
  }

  async setWeight(color: Color, percent: number): Promise<void> {
    checkPercent(percent);
    if (!(COLORS as readonly string[]).includes(color)) {
      throw new SiftError('DEPLOY_INVALID', `unknown colour ${JSON.stringify(color)}`);
    }
    const split = { [color]: percent, [otherColor(color)]: 100 - percent } as Record<Color, number>;
    let lastError: unknown;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const vs = await this.read();
      const { index, route } = findRoute(vs, this.routeName);
      const patch = [
        { op: 'test', path: '/metadata/resourceVersion', value: vs.metadata?.resourceVersion },
        { op: 'test', path: `/spec/http/${index}/name`, value: this.routeName },
        { op: 'replace', path: `/spec/http/${index}/route`, value: destinationsFor(route, split) },
      ];
      try {
        await this.client.custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: this.client.namespace,
            plural: PLURAL,
            name: this.name,
            body: patch,
            dryRun: this.client.dryRunParam,
          },
          this.client.patchAs(PatchStrategy.JsonPatch),
        );
        return;
      } catch (err) {
        lastError = err;
        // A failed `test` (someone changed the object since our read) comes back as 409 or 422: read and retry.
        const status = httpStatusOf(err);
        if (status !== 409 && status !== 422) break;
      }
    }
    await kubeCall(this.what, () => Promise.reject(lastError));
  }

  async verify(expected: TrafficSplit): Promise<RouterCheck> {
    const vs = await this.read();
    let actual: TrafficSplit;
    try {
      actual = splitOfRoute(findRoute(vs, this.routeName).route);
    } catch (err) {
      return { ok: false, actual: null, detail: (err as Error).message };
    }
    const ok = sameSplit(actual, expected);
    return {
      ok,
      actual,
      ...(ok
        ? {}
        : {
            detail: `route ${this.routeName} of ${this.what} has blue ${actual.blue}, green ${actual.green}`,
          }),
    };
  }
}
