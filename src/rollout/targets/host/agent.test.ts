import { describe, expect, it } from 'vitest';
import { initialState, type HostState, type InstanceRecord } from '../../platform/host/host-state.js';
import { identify } from '../../platform/host/processes.js';
import { healingNeeded } from './agent.js';
import { wantsStandby } from './reconciler.js';

/** What the agent acts on, over states this test writes: this process stands for a live instance. */
const live = identify(process.pid);
// Pid numbers wrap below 2^22 on Linux: this one cannot exist.
const dead = { pid: 2 ** 22 + 7, startTicks: null };

function instance(
  id: string,
  image: string,
  proc: { pid: number; startTicks: string | null },
): InstanceRecord {
  return {
    id,
    color: 'blue',
    port: Number(id.split('-')[1]),
    image,
    pid: proc.pid,
    startTicks: proc.startTicks,
    phase: 'ready',
    logFile: '/dev/null',
    startedAt: new Date().toISOString(),
  };
}

function state(instances: InstanceRecord[], track: Partial<HostState['tracks']['blue']> = {}): HostState {
  const s = initialState('blue');
  s.tracks.blue = { ...s.tracks.blue, image: '1.0', desired: 2, ...track };
  s.instances = instances;
  return s;
}

describe('when the agent heals a colour', () => {
  it('a dead instance of the release the colour runs', () => {
    const s = state([instance('blue-8101', '1.0', live), instance('blue-8102', '1.0', dead)]);
    expect(healingNeeded(s, 'blue')).toMatch(/^blue-8102 \(pid \d+\) stopped running$/);
  });

  it('fewer instances than the colour asks for', () => {
    expect(healingNeeded(state([instance('blue-8101', '1.0', live)]), 'blue')).toBe('1 of 2 instances run');
  });

  it('not a colour at full strength, a rollout in progress, a stalled colour or one never released', () => {
    const whole = [instance('blue-8101', '1.0', live), instance('blue-8102', '1.0', live)];
    expect(healingNeeded(state(whole), 'blue')).toBeNull();
    const rolling = [instance('blue-8101', '1.0', live), instance('blue-8103', '2.0', live)];
    expect(healingNeeded(state(rolling, { image: '2.0' }), 'blue')).toBeNull();
    const stalled = state([instance('blue-8101', '1.0', dead)], { stalled: 'never ready' });
    expect(healingNeeded(stalled, 'blue')).toBeNull();
    expect(healingNeeded(state([], { image: null }), 'blue')).toBeNull();
  });

  it('a standby for a whole colour that takes traffic, when the host config asks for one', () => {
    const whole = [instance('blue-8101', '1.0', live), instance('blue-8102', '1.0', live)];
    expect(wantsStandby(true, state(whole), 'blue')).toBe(true);
    expect(wantsStandby(false, state(whole), 'blue')).toBe(false);
    const noTraffic = state(whole);
    noTraffic.weights = { blue: 0, green: 100 };
    expect(wantsStandby(true, noTraffic, 'blue')).toBe(false);
    const spare = { ...instance('blue-8103', '1.0', live), phase: 'standby' as const };
    expect(wantsStandby(true, state([...whole, spare]), 'blue')).toBe(false);
    // A standby is not one of the colour's instances: the colour is whole with it.
    expect(healingNeeded(state([...whole, spare]), 'blue')).toBeNull();
  });
});
