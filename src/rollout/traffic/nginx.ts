import type { HostConfig } from '../platform/host/config.js';
import { HostRouter, type HostRouterOptions } from './host-router.js';

export type NginxRouterOptions = HostRouterOptions;

/**
 * Traffic between the host target's colours through nginx's upstream include: each change replaces the include
 * atomically, is checked with `nginx -t`, and nginx is reloaded gracefully and confirmed (platform/host/
 * nginx-front.ts). A reload closes the idle keep-alive connections of clients; HaproxyRouter changes weights
 * without one.
 */
export class NginxRouter extends HostRouter {
  readonly kind = 'nginx';

  constructor(config: HostConfig, options: NginxRouterOptions = {}) {
    super(config, options);
    this.expectRouter('nginx');
  }
}
