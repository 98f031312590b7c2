import { describe, expect, it } from 'vitest';
import { readText, readYaml } from '../../support/files.js';
import { family, metricNames } from './support/promql.js';
import { siftMetricFamilies } from './support/sift-metrics.js';

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}
const dashboard = JSON.parse(readText('deploy/grafana/dashboards/sift-overview.json')) as {
  uid: string;
  panels: Panel[];
};
const rules = readYaml<{ groups: { rules: { record?: string; alert?: string; expr: string }[] }[] }>(
  'deploy/prometheus/rules/sift-alerts.yml',
);

describe('Grafana dashboard (parsed and cross-checked)', () => {
  it('has uniquely numbered panels, each with at least one query on the provisioned data source', () => {
    const ds = readYaml<{ datasources: { uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.datasource.uid).toBe(ds.datasources[0]!.uid);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('queries only metrics Sift registers, Prometheus `up`, or recording rules', async () => {
    const known = await siftMetricFamilies();
    const recorded = rules.groups.flatMap((g) => g.rules.map((r) => r.record)).filter(Boolean);
    const unknown: string[] = [];
    for (const p of dashboard.panels) {
      for (const t of p.targets) {
        for (const name of metricNames(t.expr)) {
          if (name === 'up' || recorded.includes(name) || known.has(family(name))) continue;
          unknown.push(`${p.title}: ${name}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('shows every metric the alert rules read', () => {
    const inDashboard = new Set(
      dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr).map(family))),
    );
    const inRules = rules.groups
      .flatMap((g) => g.rules.filter((r) => !r.record).flatMap((r) => metricNames(r.expr)))
      .filter((n) => !n.includes(':'))
      .map(family);
    for (const n of inRules) expect(inDashboard, n).toContain(n);
  });

  it('catches a query on a metric Sift does not have', async () => {
    const known = await siftMetricFamilies();
    const names = metricNames('sum(rate(sift_cache_hits_total{job="sift"}[5m])) by (job)');
    expect(names).toEqual(['sift_cache_hits_total']);
    expect(known.has(family(names[0]!))).toBe(false);
  });
});
