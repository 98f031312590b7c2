import { z } from 'zod';
import { SiftError } from '../../../errors.js';
import { COLORS, type Color } from '../../types.js';

/**
 * What the host target knows, in `<stateDir>/state.json`: the release and instance count each colour should run,
 * the traffic weights the router set, and every instance process it started. Written atomically after each
 * change, so a CLI that dies mid-release leaves a state the next command can finish from.
 */

/** starting: spawned, not yet ready, never in nginx. ready: passed readiness, in nginx when its colour has weight.
 * draining: out of nginx, waiting for nginx's old workers to finish with it before SIGTERM. standby: ready and
 * probed (`admitted`; until then it starts), kept out of nginx by the agent to replace the next instance that dies
 * (host config `standby`). */
export type InstancePhase = 'starting' | 'ready' | 'draining' | 'standby';

const color = z.enum(COLORS);
const instanceSchema = z.object({
  id: z.string(),
  color,
  port: z.number().int(),
  image: z.string(),
  pid: z.number().int(),
  startTicks: z.string().nullable(),
  phase: z.enum(['starting', 'ready', 'draining', 'standby']),
  logFile: z.string(),
  startedAt: z.string(),
  drainingSince: z.string().optional(),
  /** A standby that passed readiness and the probes: only such a one may take a dead instance's place. */
  admitted: z.boolean().optional(),
});
const trackSchema = z.object({
  image: z.string().nullable(),
  previousImage: z.string().nullable(),
  desired: z.number().int().min(0),
  revision: z.number().int().min(0),
  /** Why the last rollout of this colour stopped (an instance never got ready); cleared by the next change. */
  stalled: z.string().nullable(),
  /**
   * The release's probe paths: every new instance of this colour must answer them 2xx before it joins nginx,
   * whoever starts it (a release, or the agent replacing a dead instance). Null: readiness alone.
   */
  admission: z.array(z.string()).nullable().default(null),
});
const stateSchema = z.object({
  version: z.literal(1),
  /** The colour named on the upstream file's `# active:` line: the one with the larger share. */
  active: color,
  weights: z.object({ blue: z.number().int().min(0).max(100), green: z.number().int().min(0).max(100) }),
  tracks: z.object({ blue: trackSchema, green: trackSchema }),
  instances: z.array(instanceSchema),
  /** nginx workers that were replaced by the last reload and may still hold connections to instances. */
  retiredWorkers: z.array(z.number().int()),
});

export type InstanceRecord = z.infer<typeof instanceSchema>;
export type TrackRecord = z.infer<typeof trackSchema>;
export type HostState = z.infer<typeof stateSchema>;

const emptyTrack = (): TrackRecord => ({
  image: null,
  previousImage: null,
  desired: 0,
  revision: 0,
  stalled: null,
  admission: null,
});

/** A host never deployed to: no instances; traffic on the colour the live upstream file names (blue if none). */
export function initialState(active: Color): HostState {
  return {
    version: 1,
    active,
    weights: { blue: active === 'blue' ? 100 : 0, green: active === 'green' ? 100 : 0 },
    tracks: { blue: emptyTrack(), green: emptyTrack() },
    instances: [],
    retiredWorkers: [],
  };
}

export function parseState(raw: unknown, path: string): HostState {
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SiftError(
      'DEPLOY_TARGET_UNAVAILABLE',
      `the host target's state ${path} is not valid (${issue.path.join('.')}: ${issue.message}); fix or remove it`,
    );
  }
  return parsed.data;
}

/** The instances of a colour, standbys aside: a standby is spare capacity, not one of the colour's instances. */
export const instancesOf = (state: HostState, c: Color) =>
  state.instances.filter((i) => i.color === c && i.phase !== 'standby');

export const standbysOf = (state: HostState, c: Color) =>
  state.instances.filter((i) => i.color === c && i.phase === 'standby');
