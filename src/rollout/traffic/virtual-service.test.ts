import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isSiftError } from '../../errors.js';
import {
  destinationsFor,
  findRoute,
  splitOfRoute,
  type HttpRoute,
  type VirtualService,
} from './virtual-service.js';

// The shipped manifest, so the router and the manifest cannot drift apart.
const shipped = parse(readFileSync('deploy/k8s/istio/virtualservice.yaml', 'utf8')) as VirtualService;

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isSiftError(err) ? err.code : String(err);
  }
  return undefined;
};

describe('VirtualService routes', () => {
  it('finds the default route of the shipped manifest and reads its 90/10 split', () => {
    const { index, route } = findRoute(shipped, 'default');
    expect(index).toBe(2);
    expect(splitOfRoute(route)).toEqual({ blue: 90, green: 10 });
  });

  it('names the routes it has when the wanted one is missing', () => {
    expect(() => findRoute(shipped, 'primary')).toThrow(/canary-opt-in, ab-variant-b, default/);
  });

  it('gives a lone destination without weight all traffic', () => {
    expect(
      splitOfRoute({ name: 'default', route: [{ destination: { host: 'h', subset: 'green' } }] }),
    ).toEqual({
      blue: 0,
      green: 100,
    });
  });

  it('refuses routes it does not understand', () => {
    const other: HttpRoute = {
      name: 'default',
      route: [{ destination: { host: 'h', subset: 'v3' }, weight: 100 }],
    };
    expect(code(() => splitOfRoute(other))).toBe('DEPLOY_INVALID');
    const short: HttpRoute = {
      name: 'default',
      route: [
        { destination: { host: 'h', subset: 'blue' }, weight: 50 },
        { destination: { host: 'h', subset: 'green' }, weight: 40 },
      ],
    };
    expect(() => splitOfRoute(short)).toThrow(/add up to 90/);
  });

  it('rewrites weights keeping each destination, and adds a missing colour on the same host', () => {
    const { route } = findRoute(shipped, 'default');
    expect(destinationsFor(route, { blue: 25, green: 75 })).toEqual([
      { destination: { host: 'sift-mesh', subset: 'blue' }, weight: 25 },
      { destination: { host: 'sift-mesh', subset: 'green' }, weight: 75 },
    ]);
    const lone: HttpRoute = {
      name: 'default',
      route: [{ destination: { host: 'sift-mesh', subset: 'blue', port: { number: 80 } } }],
    };
    expect(destinationsFor(lone, { blue: 0, green: 100 })).toEqual([
      { destination: { host: 'sift-mesh', subset: 'blue', port: { number: 80 } }, weight: 0 },
      { destination: { host: 'sift-mesh', subset: 'green', port: { number: 80 } }, weight: 100 },
    ]);
  });
});
