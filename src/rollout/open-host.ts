import type { Deployment } from './types.js';
import { NginxRouter } from './traffic/nginx.js';
import { loadHostConfig } from './platform/host/config.js';
import { HostTarget } from './targets/host/target.js';

/** `--target host --host-config <file>`: the processes behind nginx, and nginx as the router. */
export function openHostDeployment(configPath: string, options: { dryRun: boolean }): Deployment {
  const config = loadHostConfig(configPath);
  const target = new HostTarget(config, { dryRun: options.dryRun });
  const router = new NginxRouter(config, { dryRun: options.dryRun });
  return {
    target,
    router,
    frontDoor: config.nginx.frontDoor,
    // Lets a convergence in progress (a drain, a surge instance) finish before the CLI exits.
    close: () => target.close(),
  };
}
