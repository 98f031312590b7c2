// @services kube
import { describeRouterConformance } from '../../../src/rollout/router.conformance.js';
import { ServiceSelectorRouter } from '../../../src/rollout/traffic/service-selector.js';
import { VirtualServiceRouter } from '../../../src/rollout/traffic/virtual-service.js';
import { kubeEnv } from '../../support/kubernetes/env.js';

// Both Kubernetes routers against the real API server (the VirtualService CRD is Istio's own, installed in the
// test control plane). There is no data path to observe (no Istio proxy, no routable pod IPs), so the suite
// checks the live objects only.

describeRouterConformance({
  name: 'service-selector',
  async create() {
    const env = await kubeEnv('router-service', { replicas: { blue: 0, green: 0 }, pods: false });
    return { router: new ServiceSelectorRouter({ client: env.client() }), close: env.close };
  },
});

describeRouterConformance({
  name: 'virtual-service',
  async create() {
    const env = await kubeEnv('router-vs', {
      replicas: { blue: 0, green: 0 },
      pods: false,
      virtualService: true,
    });
    return { router: new VirtualServiceRouter({ client: env.client() }), close: env.close };
  },
});
