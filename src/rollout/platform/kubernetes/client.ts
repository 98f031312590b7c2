import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { SiftError } from '../../../errors.js';
import { requestDeadline } from '../../deadline.js';

/** How to reach a cluster: like kubectl, an explicit file wins, then KUBECONFIG, ~/.kube/config, in-cluster. */
export interface KubeClientOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Defaults to the context's namespace, then `default`. */
  readonly namespace?: string;
  /** Every write is a server-side dry run (`dryRun=All`): validated and admitted, never persisted. */
  readonly dryRun?: boolean;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function loadKubeConfig(options: Pick<KubeClientOptions, 'kubeconfig' | 'context'>): KubeConfig {
  const kc = new KubeConfig();
  const home = join(homedir(), '.kube', 'config');
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else if (process.env.KUBECONFIG) kc.loadFromDefault();
    else if (existsSync(home)) kc.loadFromFile(home);
    else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) kc.loadFromCluster();
    else {
      throw new SiftError(
        'DEPLOY_INVALID',
        'no Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config or run in a pod',
      );
    }
  } catch (err) {
    if (err instanceof SiftError) throw err;
    const source = options.kubeconfig ?? process.env.KUBECONFIG ?? home;
    throw new SiftError('DEPLOY_INVALID', `cannot load kubeconfig ${source}: ${(err as Error).message}`, {
      kubeconfig: source,
    });
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new SiftError(
        'DEPLOY_INVALID',
        `kubeconfig has no context ${options.context} (known: ${known.join(', ') || 'none'})`,
        { context: options.context },
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new SiftError(
      'DEPLOY_INVALID',
      `kubeconfig context ${kc.getCurrentContext() || '(none)'} has no cluster`,
    );
  }
  return kc;
}

/** A response to a raw request: the status and the body as text. */
export interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The API clients of one cluster and namespace, with the dry-run mode every write must carry. */
export class KubeClient {
  readonly config: KubeConfig;
  readonly namespace: string;
  readonly server: string;
  readonly dryRun: boolean;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly coordination: CoordinationV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly custom: CustomObjectsApi;

  constructor(options: KubeClientOptions = {}) {
    this.config = loadKubeConfig(options);
    const context = this.config.getContextObject(this.config.getCurrentContext());
    this.namespace = options.namespace ?? context?.namespace ?? 'default';
    this.server = this.config.getCurrentCluster()?.server ?? '';
    this.dryRun = options.dryRun ?? false;
    this.core = this.config.makeApiClient(CoreV1Api);
    this.apps = this.config.makeApiClient(AppsV1Api);
    this.coordination = this.config.makeApiClient(CoordinationV1Api);
    this.discovery = this.config.makeApiClient(DiscoveryV1Api);
    this.custom = this.config.makeApiClient(CustomObjectsApi);
  }

  /** The `dryRun` parameter of every write. */
  get dryRunParam(): 'All' | undefined {
    return this.dryRun ? 'All' : undefined;
  }

  /**
   * Request options that set the PATCH content type. client-node 1.x defaults to JSON patch; custom resources
   * reject strategic merge, so each call says which kind it sends.
   */
  patchAs(strategy: PatchStrategy): ReturnType<typeof setHeaderOptions> {
    return setHeaderOptions('Content-Type', strategy);
  }

  watcher(): Watch {
    return new Watch(this.config);
  }

  /**
   * A request to an API server path (pod proxy, raw lists) with a deadline, answered whatever the status: the
   * generated client escapes slashes in proxy paths and throws away the body of non-2xx answers.
   */
  async request(
    path: string,
    options: {
      timeoutMs: number;
      signal?: AbortSignal;
      method?: string;
      accept?: string;
      /** Extra request headers (a pod proxy passes them on to the pod). */
      headers?: Readonly<Record<string, string>>;
    },
  ): Promise<RawResponse> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    const opts: https.RequestOptions = { method: options.method ?? 'GET', headers: {} };
    await this.config.applyToHTTPSOptions(opts);
    opts.headers = { ...options.headers, ...opts.headers, accept: options.accept ?? 'application/json, */*' };
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<RawResponse>((resolve, reject) => {
      const deadline = requestDeadline(options.timeoutMs, options.signal);
      const req = transport.request(url, { ...opts, signal: deadline.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          deadline.release();
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (err) => {
          deadline.release();
          reject(err);
        });
      });
      req.on('error', (err) => {
        deadline.release();
        const timedOut = deadline.signal.aborted && !options.signal?.aborted;
        reject(timedOut ? new Error(`no answer within ${options.timeoutMs} ms`, { cause: err }) : err);
      });
      req.end();
    });
  }

  /** GET of a JSON object or list by path, raw (timestamps stay strings); a non-2xx answer throws with its status. */
  async getJson<T>(path: string, timeoutMs = 30_000): Promise<T> {
    const res = await this.request(path, { timeoutMs });
    if (res.status < 200 || res.status > 299) {
      let message = res.body.slice(0, 300);
      try {
        message = (JSON.parse(res.body) as { message?: string }).message ?? message;
      } catch {
        // keep the raw text
      }
      throw Object.assign(new Error(message), { statusCode: res.status });
    }
    return JSON.parse(res.body) as T;
  }

  /** `namespace/name on https://server`, for messages. */
  describe(name: string): string {
    return `${this.namespace}/${name} on ${this.server}`;
  }
}

export { PatchStrategy };
