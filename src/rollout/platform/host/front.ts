import type { HostState } from './host-state.js';
import type { ParsedUpstream } from './upstream.js';

/**
 * The router in front of the host's instances, as the host control drives it: nginx (an upstream include and a
 * reload per change) or HAProxy (a backend changed through its runtime API, no reload). Both are given the whole
 * host state and make the live routing match it; both read the live routing back as the same parsed list of
 * servers, so the split, the ports a colour is served on and the checks are computed once (upstream.ts).
 */
export interface HostFront {
  readonly kind: 'nginx' | 'haproxy';
  /** What is read back, for messages: the include's path, or the backend behind a socket. */
  readonly where: string;
  /** The longest a change may take (a confirmed reload, or a run of runtime commands). */
  readonly changeTimeoutMs: number;
  /** The live routing: the servers that take traffic (and those that do not), with the text it was read from. */
  live(): Promise<{ text: string | null; parsed: ParsedUpstream }>;
  /**
   * Makes the live routing match `state`. Returns the nginx workers the change retired (an empty list for
   * HAProxy, which retires none), or null when the live routing already matched. Throws, leaving the previous
   * routing in force, when the router refuses the change.
   */
  apply(state: HostState): Promise<number[] | null>;
  /**
   * Waits until nothing the router holds still uses the instances on `ports`, which left the routing: the nginx
   * workers `retired` have exited, or HAProxy's servers on those ports have no session left. False when
   * `timeoutMs` passed first.
   */
  waitDrained(
    retired: readonly number[],
    ports: readonly number[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean>;
  /** Throws DEPLOY_TARGET_UNAVAILABLE, saying why, unless the router runs and answers. */
  checkRunning(): Promise<void>;
}
