import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY, readText, readYaml } from '../../support/files.js';
import { tempDir } from '../../support/temp-dir.js';
import { waitFor } from '../../support/net.js';
import { startPrometheus, type PrometheusServer } from '../../support/prometheus.js';
import { family, metricNames } from './support/promql.js';
import { startSift, type SiftProcess } from '../../support/sift-process.js';
import { ensureTool, runTool } from '../../support/tools.js';

const PROM = join(DEPLOY, 'prometheus');

describe('Prometheus configuration and alert rules', { timeout: 600_000 }, () => {
  let promtool: string;
  const work = tempDir('sift-promtool-');
  beforeAll(async () => {
    promtool = await ensureTool('promtool');
  }, 600_000);
  afterAll(() => work.remove());

  it('passes `promtool check config` (which also checks the rule files)', async () => {
    const r = await runTool(promtool, ['check', 'config', 'prometheus.yml'], { cwd: PROM });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('passes `promtool check rules`', async () => {
    const r = await runTool(promtool, ['check', 'rules', 'rules/sift-alerts.yml'], { cwd: PROM });
    expect(r.code).toBe(0);
  });

  it('passes its rule unit tests (`promtool test rules`)', async () => {
    const r = await runTool(promtool, ['test', 'rules', 'tests/sift-alerts.test.yml'], { cwd: PROM });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('has an alert for error ratio, p99 latency, readiness, engine down and cache hit collapse, each unit-tested', () => {
    const rules = readYaml<{ groups: { rules: { alert?: string }[] }[] }>(
      'deploy/prometheus/rules/sift-alerts.yml',
    );
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'SiftHighErrorRatio',
        'SiftHighLatencyP99',
        'SiftNotReady',
        'SiftEngineDown',
        'SiftCacheHitRatioCollapse',
      ]),
    );
    const tests = readText('deploy/prometheus/tests/sift-alerts.test.yml');
    for (const a of alerts) expect(tests, a!).toContain(`alertname: ${a}`);
  });

  it('fails `check rules` for a broken rule and `test rules` when a rule no longer fires', async () => {
    cpSync(PROM, join(work.path, 'prometheus'), { recursive: true });
    const rulesPath = join(work.path, 'prometheus/rules/sift-alerts.yml');
    const good = readFileSync(rulesPath, 'utf8');

    writeFileSync(
      rulesPath,
      good.replace('expr: sift:http_request_duration_seconds:p99_5m > 1', 'expr: sum(rate(x[5m]) >'),
    );
    const syntax = await runTool(promtool, ['check', 'rules', rulesPath]);
    expect(syntax.code).not.toBe(0);

    // Valid PromQL, wrong threshold: the unit test that expects the error-ratio alert must fail.
    writeFileSync(
      rulesPath,
      good.replace(
        'sift:http_errors:rate5m / sift:http_requests:rate5m > 0.05',
        'sift:http_errors:rate5m / sift:http_requests:rate5m > 0.5',
      ),
    );
    expect((await runTool(promtool, ['check', 'rules', rulesPath])).code).toBe(0);
    const unit = await runTool(promtool, [
      'test',
      'rules',
      join(work.path, 'prometheus/tests/sift-alerts.test.yml'),
    ]);
    expect(unit.code).not.toBe(0);
    expect(unit.stdout + unit.stderr).toContain('SiftHighErrorRatio');
  });

  it('fails `check config` for a broken configuration', async () => {
    const bad = join(work.path, 'bad-prometheus.yml');
    writeFileSync(
      bad,
      readText('deploy/prometheus/prometheus.yml').replace(
        'scrape_interval: 15s',
        'scrape_interval: fifteen',
      ),
    );
    expect((await runTool(promtool, ['check', 'config', bad])).code).not.toBe(0);
  });
});

describe('a real Prometheus scraping a real Sift', { timeout: 600_000 }, () => {
  const data = tempDir('sift-prom-data-');
  const work = tempDir('sift-prom-');
  let sift: SiftProcess;
  let prometheus: PrometheusServer | undefined;
  let api: string;

  const query = async (q: string) => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(body.status).toBe('success');
    return body.data.result;
  };

  beforeAll(async () => {
    sift = await startSift({ dataDir: data.path, env: { LOAD_SAMPLE_DATA: 'true' } });
    // The shipped configuration with this machine's target and a 1 s interval, so the test takes seconds.
    const config = readYaml<
      Record<string, unknown> & { scrape_configs: Record<string, unknown>[]; global: Record<string, unknown> }
    >('deploy/prometheus/prometheus.yml');
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    config.rule_files = [join(PROM, 'rules/*.yml')];
    const job = config.scrape_configs.find((j) => j.job_name === 'sift')!;
    job.scrape_timeout = '1s';
    job.static_configs = [{ targets: [`127.0.0.1:${sift.port}`], labels: { color: 'blue' } }];
    config.scrape_configs = [job];
    prometheus = await startPrometheus({ dir: work.path, config });
    api = prometheus.url;
  }, 600_000);

  afterAll(async () => {
    await prometheus?.stop();
    await sift?.stop();
    data.remove();
    work.remove();
  });

  it("scrapes Sift and answers a PromQL query for Sift's search request rate", async () => {
    // Steady traffic while Prometheus takes a few scrapes.
    const deadline = Date.now() + 60_000;
    let rate: number | undefined;
    while (Date.now() < deadline) {
      for (let i = 0; i < 5; i++) await (await fetch(`${sift.url}/api/search?q=react${i}`)).arrayBuffer();
      const result = await query(
        'sum(rate(http_requests_total{job="sift",route="/api/search",method="GET"}[10s]))',
      );
      rate = result.length > 0 ? Number(result[0]!.value[1]) : undefined;
      if (rate !== undefined && rate > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(rate).toBeGreaterThan(0);
    const up = await query('up{job="sift"}');
    expect(up.map((r) => r.value[1])).toEqual(['1']);
  });

  it('loads the alert rules and evaluates them without errors', async () => {
    await waitFor(async () => {
      const body = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const rules = body.data.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => r.health === 'ok');
    }, 30_000);
    // Sift is healthy: its engine is up, so the engine-down alert is not pending or firing.
    const engineUp = await query('min(sift_engine_up)');
    expect(engineUp[0]?.value[1]).toBe('1');
  });

  it('finds in Sift every metric the rules and the dashboard read', async () => {
    const exposed = await query('count by (__name__) ({job="sift"})');
    const names = new Set(exposed.map((r) => family(r.metric.__name__!)));
    // Labelled counters appear once they count something; those Sift registers are checked in grafana.test.ts.
    const text = await (await fetch(`${sift.url}/metrics`)).text();
    for (const m of text.matchAll(/^# TYPE (\S+) /gm)) names.add(m[1]!);
    const rules = readYaml<{ groups: { rules: { expr: string }[] }[] }>(
      'deploy/prometheus/rules/sift-alerts.yml',
    );
    const dashboard = JSON.parse(readText('deploy/grafana/dashboards/sift-overview.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = [
      ...rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))),
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))),
    ].filter((n) => !n.includes(':') && n !== 'up');
    const missing = [...new Set(used.map(family))].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
  });
});
