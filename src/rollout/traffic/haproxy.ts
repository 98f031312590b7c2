import type { HostConfig } from '../platform/host/config.js';
import { HostRouter, type HostRouterOptions } from './host-router.js';

/**
 * Traffic between the host target's colours through HAProxy's runtime API: weights and switches are
 * `set server <backend>/<colour>-<port> weight N` and `state ready|maint` on the admin socket, never a reload, so
 * clients' keep-alive connections to HAProxy survive every change (platform/host/haproxy-front.ts; the backend
 * file is rewritten too, so a restart keeps the split). verify() reads `show servers state` back.
 */
export class HaproxyRouter extends HostRouter {
  readonly kind = 'haproxy';

  constructor(config: HostConfig, options: HostRouterOptions = {}) {
    super(config, options);
    this.expectRouter('haproxy');
  }
}
