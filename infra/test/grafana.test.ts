import { describe, expect, it } from 'vitest';
import { asArray, asRecord, isRecord, readRepoFile, readYaml } from './lib/files.ts';
import { API_METRICS, METRICS } from './lib/metrics.ts';
import { catalogProblems, parsePromQL, substituteGrafanaVariables } from './lib/promql.ts';

const DASHBOARD_PATH = 'infra/grafana/dashboards/reelay.json';
const dashboard = asRecord(JSON.parse(readRepoFile(DASHBOARD_PATH)), DASHBOARD_PATH);

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: unknown;
  targets?: Array<{ expr: string; refId: string; datasource?: unknown }>;
}

const panels = asArray(dashboard['panels'], 'panels') as Panel[];
const queryPanels = panels.filter((p) => p.type !== 'row');

describe('Grafana dashboard (infra/grafana/dashboards/reelay.json)', () => {
  it('is a dashboard Grafana loads: uid, title, unique panel ids, panels inside the 24-column grid', () => {
    expect(dashboard['uid']).toBe('reelay-overview');
    expect(dashboard['title']).toBeTruthy();
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.w * p.gridPos.h, p.title).toBeGreaterThan(0);
    }
    expect(queryPanels.length).toBeGreaterThanOrEqual(10);
  });

  it('queries through a data-source variable, so it imports into any Grafana with a Prometheus', () => {
    const templating = asArray(asRecord(dashboard['templating'], 'templating')['list'], 'list');
    const ds = templating.map((v) => asRecord(v, 'variable')).find((v) => v['type'] === 'datasource');
    expect(ds?.['query']).toBe('prometheus');
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: `\${${String(ds?.['name'])}}` });
      for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual(p.datasource);
    }
  });

  it('every panel query parses as PromQL and uses only exported metrics, labels and label values', () => {
    for (const p of queryPanels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(catalogProblems(t.expr), `${p.title}: ${t.expr}`).toEqual([]);
      }
    }
  });

  it('shows every Reelay metric somewhere', () => {
    const used = new Set(
      queryPanels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) =>
          parsePromQL(substituteGrafanaVariables(t.expr)).selectors.map((s) =>
            s.metric.replace(/_(bucket|count|sum)$/, ''),
          ),
        ),
      ),
    );
    expect([...Object.keys(METRICS), ...Object.keys(API_METRICS)].filter((m) => !used.has(m))).toEqual([]);
  });

  it('the catalog check bites: an unknown metric, label or state and a syntax error are caught', () => {
    expect(catalogProblems('sum(reelay_queue_depth)')).toEqual([
      'reelay_queue_depth: not a metric Reelay exports',
    ]);
    expect(catalogProblems('reelay_queue_jobs{state="waitng"}')).toEqual([
      'reelay_queue_jobs{state}: no value waitng',
    ]);
    expect(catalogProblems('reelay_in_flight{queue="poll"}')).toEqual([
      'reelay_in_flight has no label queue',
    ]);
    expect(catalogProblems('rate(reelay_stage_duration_seconds[5m])')[0]).toMatch(/histogram/);
    expect(() => parsePromQL('sum(reelay_in_flight')).toThrow(/syntax error/);
    expect(catalogProblems('rate(process_cpu_seconds_total{job="reelay-api"}[5m])')).toEqual([]);
  });
});

describe('Grafana provisioning (infra/grafana/provisioning)', () => {
  it('provisions the Prometheus data source of the compose stack and loads the dashboards directory', () => {
    const ds = asRecord(readYaml('infra/grafana/provisioning/datasources/prometheus.yml'), 'datasources');
    const source = asRecord(asArray(ds['datasources'], 'datasources')[0], 'datasource');
    expect(source['type']).toBe('prometheus');
    expect(source['url']).toBe('http://prometheus:9090');
    const providers = asRecord(readYaml('infra/grafana/provisioning/dashboards/reelay.yml'), 'dashboards');
    const provider = asRecord(asArray(providers['providers'], 'providers')[0], 'provider');
    expect(provider['type']).toBe('file');
    const options = provider['options'];
    expect(isRecord(options) && options['path']).toBe('/var/lib/grafana/dashboards');
  });
});
