import type { KubeClient } from '../../platform/kubernetes/client.js';
import { isGone } from '../../platform/kubernetes/api-errors.js';

/** The few fields of any object a watch keeps. */
export interface KubeObject {
  metadata?: { name?: string; resourceVersion?: string };
}

interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface ResumingWatchOptions {
  readonly client: KubeClient;
  /** Collection path, e.g. `/apis/apps/v1/namespaces/team/deployments`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * How long the server keeps one watch request open before it ends it. A watch that ends is resumed from the
   * last resourceVersion seen, so a long wait is a chain of short requests.
   */
  readonly timeoutSeconds?: number;
  /** Called after every change to the cached objects (and after each relist). */
  readonly onChange: () => void;
  /** Called when a request fails; the watch retries with a growing delay. */
  readonly onError?: (err: unknown) => void;
}

/** What a watch went through: counted so tests (and diagnostics) can see resumes and relists happen. */
export interface WatchStats {
  lists: number;
  resumes: number;
  gone: number;
  errors: number;
  events: number;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * A cache of one kind of object kept current by a watch that never gives up while running: a request the server
 * ends (timeoutSeconds, a restart) is resumed from the last resourceVersion; an expired resourceVersion (410 Gone,
 * as an HTTP status or an ERROR event) leads to a fresh list; other failures are retried with backoff.
 */
export class ResumingWatch<T extends KubeObject> {
  readonly objects = new Map<string, T>();
  readonly stats: WatchStats = { lists: 0, resumes: 0, gone: 0, errors: 0, events: 0 };
  private resourceVersion = '';
  private stopped = false;
  private current: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private firstSync: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(private readonly options: ResumingWatchOptions) {}

  /** Lists and opens the watch; resolves once the cache holds the first state. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.firstSync = { resolve, reject };
      void this.cycle();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.current?.abort();
    this.current = undefined;
  }

  private selectorQuery(): string {
    const q = new URLSearchParams();
    if (this.options.labelSelector) q.set('labelSelector', this.options.labelSelector);
    if (this.options.fieldSelector) q.set('fieldSelector', this.options.fieldSelector);
    return q.toString();
  }

  private async list(): Promise<void> {
    const query = this.selectorQuery();
    const list = await this.options.client.getJson<KubeList<T>>(
      `${this.options.path}${query ? `?${query}` : ''}`,
    );
    this.stats.lists++;
    this.objects.clear();
    for (const item of list.items ?? []) {
      const name = item.metadata?.name;
      if (name) this.objects.set(name, item);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.failures = 0;
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.resourceVersion) {
        await this.list();
        this.options.onChange();
      }
      if (this.firstSync) {
        this.firstSync.resolve();
        this.firstSync = undefined;
      }
      await this.open();
    } catch (err) {
      this.failed(err);
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const params: Record<string, string | number | boolean> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
    };
    if (this.options.labelSelector) params.labelSelector = this.options.labelSelector;
    if (this.options.fieldSelector) params.fieldSelector = this.options.fieldSelector;
    if (this.options.timeoutSeconds) params.timeoutSeconds = this.options.timeoutSeconds;
    let expired = false;
    let failure: Error | undefined;
    const controller = await this.options.client.watcher().watch(
      this.options.path,
      params,
      (type: string, obj: unknown) => {
        if (this.stopped) return;
        if (type === 'ERROR') {
          const status = obj as { code?: number; message?: string };
          if (status.code === 410) expired = true;
          else
            failure = Object.assign(new Error(status.message ?? 'watch error'), { statusCode: status.code });
          return;
        }
        const item = obj as T;
        const rv = item.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        const name = item.metadata?.name;
        if (!name) return;
        this.stats.events++;
        this.failures = 0;
        if (type === 'DELETED') this.objects.delete(name);
        else this.objects.set(name, item);
        this.options.onChange();
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (expired || isGone(err)) {
          // The version we hold was compacted away: only a fresh list is a consistent starting point.
          this.stats.gone++;
          this.resourceVersion = '';
          void this.cycle();
        } else if (err || failure) {
          // Retried with backoff: a server that ends every watch with an error must not be hammered.
          this.failed(err ?? failure);
        } else {
          this.stats.resumes++;
          void this.cycle();
        }
      },
    );
    this.current = controller;
    if (this.stopped) controller.abort();
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    this.stats.errors++;
    this.failures++;
    this.options.onError?.(err);
    if (this.firstSync && this.failures >= 3) {
      // The caller is still waiting for a first state: after a few tries, tell it rather than hang.
      this.firstSync.reject(err);
      this.firstSync = undefined;
    }
    // After repeated failures the events in between may be lost for good: start again from a list.
    if (this.failures >= 3) this.resourceVersion = '';
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 5));
    this.retryTimer = setTimeout(() => void this.cycle(), delay);
    this.retryTimer.unref();
  }
}
