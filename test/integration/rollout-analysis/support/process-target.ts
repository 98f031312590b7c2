import type {
  Color,
  Instance,
  ProbeResult,
  ReleaseStore,
  Target,
  TargetState,
} from '../../../../src/rollout/types.js';

/** One real process answering HTTP, as the test wants a colour to see it. */
export interface ProcessInstance {
  readonly id: string;
  /** `http://127.0.0.1:port` */
  readonly url: string;
}

export interface ProbeRecord {
  readonly instance: string;
  readonly path: string;
  readonly result: ProbeResult;
}

const notHere = (what: string) => () =>
  Promise.reject(new Error(`${what} is not part of the analysis tests`));

/**
 * The smallest Target over real processes: it lists the instances it was given and probes them with real HTTP
 * requests. Image, scale and readiness belong to the real targets (tested by their own conformance suite); here
 * they refuse. Every probe is recorded, and `afterProbe` lets a test act between tries (start a late instance,
 * abort), as the world would.
 */
export class ProcessTarget implements Target {
  readonly kind = 'host' as const;
  readonly probes: ProbeRecord[] = [];
  afterProbe?: (record: ProbeRecord) => Promise<void> | void;
  listError?: Error;

  constructor(private readonly byColor: Record<Color, ProcessInstance[]>) {}

  async instances(color: Color): Promise<Instance[]> {
    if (this.listError) throw this.listError;
    return this.byColor[color].map((p) => ({
      id: p.id,
      color,
      image: 'test',
      address: new URL(p.url).host,
      ready: true,
    }));
  }

  async probe(instance: Instance, path: string, timeoutMs: number): Promise<ProbeResult> {
    const started = Date.now();
    let result: ProbeResult;
    try {
      const res = await fetch(`http://${instance.address}${path}`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      result = { instance: instance.id, path, ok: res.ok, status: res.status, ms: Date.now() - started };
    } catch (err) {
      const e = err as { cause?: { code?: string }; message: string };
      const error = e.cause?.code ?? e.message;
      result = { instance: instance.id, path, ok: false, status: null, ms: Date.now() - started, error };
    }
    const record = { instance: instance.id, path, result };
    this.probes.push(record);
    await this.afterProbe?.(record);
    return result;
  }

  state = notHere('state') as () => Promise<TargetState>;
  setImage = notHere('setImage');
  scale = notHere('scale');
  waitReady = notHere('waitReady') as Target['waitReady'];
  undo = notHere('undo');
  readonly store: ReleaseStore = {
    lock: notHere('lock') as ReleaseStore['lock'],
    read: notHere('read') as ReleaseStore['read'],
    write: notHere('write'),
    update: notHere('update'),
  };
}
