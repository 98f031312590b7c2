import type { Color, RouterCheck, TrafficRouter, TrafficSplit } from '../types.js';

/**
 * A weighted router (Istio VirtualService) plus the plain Service selector, moved together: mesh traffic follows
 * the weights, and clients outside the mesh follow the selector, which moves whenever one colour has it all.
 * The weighted router is the source of truth for current().
 */
export class CombinedRouter implements TrafficRouter {
  readonly kind: string;
  readonly supportsWeights = true;

  constructor(
    private readonly weighted: TrafficRouter,
    private readonly selector: TrafficRouter,
  ) {
    this.kind = `${weighted.kind}+${selector.kind}`;
  }

  current(): Promise<TrafficSplit> {
    return this.weighted.current();
  }

  async switchTo(color: Color): Promise<void> {
    await this.weighted.switchTo(color);
    await this.selector.switchTo(color);
  }

  async setWeight(color: Color, percent: number): Promise<void> {
    await this.weighted.setWeight(color, percent);
    if (percent === 0 || percent === 100) await this.selector.setWeight(color, percent);
  }

  async verify(expected: TrafficSplit): Promise<RouterCheck> {
    const weighted = await this.weighted.verify(expected);
    if (!weighted.ok || (expected.blue !== 100 && expected.green !== 100)) return weighted;
    const selector = await this.selector.verify(expected);
    return selector.ok
      ? weighted
      : {
          ok: false,
          actual: weighted.actual,
          detail: `${this.selector.kind}: ${selector.detail ?? 'differs'}`,
        };
  }
}
