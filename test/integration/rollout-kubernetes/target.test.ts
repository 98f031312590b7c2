// @services kube
import { describeTargetConformance } from '../../../src/rollout/target.conformance.js';
import { kubeEnv } from '../../support/kubernetes/env.js';

// The shared Target suite against the real control plane: Deployments, ReplicaSets and pods managed by the real
// controllers, each pod a real Sift process run by the pod runner.
describeTargetConformance({
  name: 'kubernetes',
  readyTimeoutMs: 60_000,
  async create() {
    const env = await kubeEnv('target-conformance', { replicas: { blue: 0, green: 0 } });
    return {
      target: env.target(),
      other: env.target(),
      images: { v1: 'sift:1.0', v2: 'sift:2.0', notReady: 'sift:not-ready' },
      close: env.close,
    };
  },
});
