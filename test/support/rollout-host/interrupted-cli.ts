/**
 * A deploying CLI that dies midway: `node --import tsx interrupted-cli.ts <host-config> <color> <release>` starts
 * a rolling update of the colour and prints `STARTED <instance id>` once the first new instance is running and
 * recorded, then waits to be killed (the test sends SIGKILL, as an operator's kill -9 or a lost SSH session would).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHostConfig } from '../../../src/rollout/platform/host/config.js';
import { parseState } from '../../../src/rollout/platform/host/host-state.js';
import { HostTarget } from '../../../src/rollout/targets/host/target.js';
import type { Color } from '../../../src/rollout/types.js';

const [configPath, color, release] = process.argv.slice(2) as [string, Color, string];
const config = loadHostConfig(configPath);
const target = new HostTarget(config);
await target.setImage(color, release);
const statePath = join(config.stateDir, 'state.json');
for (;;) {
  const state = parseState(JSON.parse(readFileSync(statePath, 'utf8')), statePath);
  const started = state.instances.find((i) => i.color === color && i.image === release);
  if (started) {
    process.stdout.write(`STARTED ${started.id}\n`);
    break;
  }
  await new Promise((r) => setTimeout(r, 50));
}
await new Promise(() => undefined);
