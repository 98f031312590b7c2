import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseHostConfig } from './config.js';

describe('deploy/host/sift-host.example.yaml', () => {
  it('is a valid host config, as documented', () => {
    const path = new URL('../../../../deploy/host/sift-host.example.yaml', import.meta.url);
    const config = parseHostConfig(parse(readFileSync(path, 'utf8')), '/etc/sift', 'example');
    expect(config.instances).toBe(2);
    expect(config.ports.blue).toHaveLength(3);
    expect(config.command[1]).toBe('/opt/sift/{image}/dist/bin/sift.js');
    // New hosts start behind HAProxy (docs/deploy.md, "First deploy on a host").
    expect(config.router).toBe('haproxy');
    expect(config.haproxy!.backendFile).toBe('/etc/haproxy/sift-backend.cfg');
  });

  it('names nginx as the alternative, as a valid section once uncommented', () => {
    const path = new URL('../../../../deploy/host/sift-host.example.yaml', import.meta.url);
    const text = readFileSync(path, 'utf8');
    const nginx = text
      .split('\n')
      .filter((line) => /^# {3}/.test(line))
      .map((line) => line.slice(2))
      .join('\n');
    const raw = parse(text) as Record<string, unknown>;
    delete raw.router;
    delete raw.haproxy;
    const config = parseHostConfig({ ...raw, ...(parse(nginx) as object) }, '/etc/sift', 'example');
    expect(config.router).toBe('nginx');
    expect(config.nginx!.upstreamFile).toBe('/etc/nginx/upstream.d/sift-active.conf');
  });
});
