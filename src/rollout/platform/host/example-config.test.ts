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
    expect(config.nginx!.upstreamFile).toBe('/etc/nginx/upstream.d/sift-active.conf');
  });
});
