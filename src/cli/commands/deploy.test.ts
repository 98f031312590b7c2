/**
 * The defaults `sift deploy` shows in its help are the ones the analyses use (rollout/analysis/defaults.ts): the
 * help once said `--analysis-interval 10s` while a sampled analysis waited 5 s by default.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import * as defaults from '../../rollout/analysis/defaults.js';
import { formatDuration, parseDuration } from '../../rollout/duration.js';
import { registerDeployCommands } from './deploy.js';

function releaseCommand(name: string): Command {
  const program = new Command();
  // Registering reads nothing from the context; only running a command does.
  registerDeployCommands(program, undefined as never);
  const deploy = program.commands.find((c) => c.name() === 'deploy')!;
  return deploy.commands.find((c) => c.name() === name)!;
}

const defaultOf = (cmd: Command, flag: string) => cmd.options.find((o) => o.long === flag)?.defaultValue;

describe('sift deploy analysis defaults', () => {
  for (const name of ['blue-green', 'rolling', 'canary']) {
    it(`${name} shows the analyses' own defaults`, () => {
      const cmd = releaseCommand(name);
      expect(parseDuration(defaultOf(cmd, '--analysis-interval'), 'x')).toBe(defaults.SAMPLE_INTERVAL_MS);
      expect(Number(defaultOf(cmd, '--analysis-samples'))).toBe(defaults.SAMPLES);
      expect(defaultOf(cmd, '--analysis-window')).toBe(defaults.PROMETHEUS_WINDOW);
      expect(Number(defaultOf(cmd, '--max-error-ratio'))).toBe(defaults.MAX_ERROR_RATIO);
      expect(Number(defaultOf(cmd, '--max-p99'))).toBe(defaults.MAX_LATENCY_SECONDS);
      expect(Number(defaultOf(cmd, '--front-door-requests'))).toBe(defaults.FRONT_DOOR_REQUESTS);
      expect(Number(defaultOf(cmd, '--front-door-min-success'))).toBe(defaults.FRONT_DOOR_MIN_SUCCESS_RATIO);
      expect(cmd.helpInformation()).toContain(`(default: "${formatDuration(defaults.SAMPLE_INTERVAL_MS)}")`);
    });
  }

  it('writes durations the way they are read back', () => {
    for (const ms of [250, 1_000, 5_000, 90_000, 120_000, 3_600_000, 1_500]) {
      expect(parseDuration(formatDuration(ms), 'x')).toBe(ms);
    }
    expect(formatDuration(5_000)).toBe('5s');
    expect(formatDuration(120_000)).toBe('2m');
  });
});
