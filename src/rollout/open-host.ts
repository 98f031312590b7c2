import type { Deployment } from './types.js';
import { HaproxyRouter } from './traffic/haproxy.js';
import { NginxRouter } from './traffic/nginx.js';
import { loadHostConfig } from './platform/host/config.js';
import { HostTarget } from './targets/host/target.js';

/**
 * `--target host --host-config <file>`: the processes behind nginx or HAProxy (the host config's `router`), and
 * that one as the router.
 */
export function openHostDeployment(configPath: string, options: { dryRun: boolean }): Deployment {
  const config = loadHostConfig(configPath);
  const target = new HostTarget(config, { dryRun: options.dryRun });
  const router =
    config.router === 'haproxy'
      ? new HaproxyRouter(config, { dryRun: options.dryRun })
      : new NginxRouter(config, { dryRun: options.dryRun });
  return {
    target,
    router,
    frontDoor: config.frontDoor,
    // Lets a convergence in progress (a drain, a surge instance) finish before the CLI exits.
    close: () => target.close(),
  };
}
