import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { serviceUrl } from '../services.js';

/**
 * The real Kubernetes control plane of the test run (scripts/services/kube.sh, started by test/global-setup.ts):
 * kube-apiserver, kube-controller-manager, etcd and KWOK on loopback. Its service URL is the path of an admin
 * kubeconfig. Nodes are kwok-node-0/1; pods get 127.42.x.y addresses and only become Ready through the pod runner
 * (./kube-pods.ts), which runs a real Sift per pod.
 */
export function kubeconfigPath(): string {
  return serviceUrl('kube');
}

/** A client configuration for the test cluster (the admin identity, cluster-admin). */
export function testKubeConfig(path = kubeconfigPath()): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export interface TestNamespace {
  readonly name: string;
  /** Deletes the namespace (the namespace controller then removes everything in it); safe to call twice. */
  cleanup(): Promise<void>;
}

const statusOf = (err: unknown): number | undefined => (err as { code?: number }).code;

/**
 * Creates a fresh namespace `<prefix>-<random>` and waits until its `default` ServiceAccount exists, since the
 * ServiceAccount admission plugin refuses pods before that (a ReplicaSet would only retry with back-off).
 */
export async function testNamespace(
  prefix: string,
  opts: { kubeconfig?: KubeConfig; timeoutMs?: number } = {},
): Promise<TestNamespace> {
  const core = (opts.kubeconfig ?? testKubeConfig()).makeApiClient(CoreV1Api);
  const name = `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({
    body: { metadata: { name, labels: { 'sift.test/namespace': 'true' } } },
  });
  let deleted = false;
  const cleanup = async (): Promise<void> => {
    if (deleted) return;
    deleted = true;
    await core.deleteNamespace({ name }).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return { name, cleanup };
    } catch (err) {
      if (statusOf(err) !== 404) {
        await cleanup();
        throw err;
      }
    }
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(
        `namespace ${name}: the default ServiceAccount did not appear (is the controller manager up?)`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
