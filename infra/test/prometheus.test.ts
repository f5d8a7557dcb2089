import { describe, expect, it } from 'vitest';
import { reelayServices } from './lib/compose.ts';
import { asArray, asRecord, readYaml } from './lib/files.ts';
import { API_METRICS, METRICS } from './lib/metrics.ts';

const config = asRecord(readYaml('infra/prometheus/prometheus.yml'), 'prometheus.yml');
const jobs = asArray(config['scrape_configs'], 'scrape_configs').map((j) => asRecord(j, 'scrape_config'));

/** host:port pairs a job scrapes (static targets, or DNS names with the job's port). */
function targets(job: Record<string, unknown>): string[] {
  const statics = job['static_configs'] === undefined ? [] : asArray(job['static_configs'], 'static_configs');
  const dns = job['dns_sd_configs'] === undefined ? [] : asArray(job['dns_sd_configs'], 'dns_sd_configs');
  return [
    ...statics.flatMap((s) => asArray(asRecord(s, 'static')['targets'], 'targets').map(String)),
    ...dns.flatMap((d) => {
      const c = asRecord(d, 'dns_sd');
      return asArray(c['names'], 'names').map((n) => `${String(n)}:${String(c['port'])}`);
    }),
  ];
}

describe('Prometheus scrape config (infra/prometheus/prometheus.yml)', () => {
  it('scrapes /metrics of every Reelay app service in docker-compose.yml on the port that app listens on', () => {
    const scraped = new Set(jobs.flatMap(targets));
    for (const s of reelayServices().filter((x) => x.app.name !== 'provider-sim')) {
      const { port } = s.app.resolve(s.args, s.env);
      expect(scraped.has(`${s.name}:${port}`), `${s.name}:${port}`).toBe(true);
    }
    for (const job of jobs)
      expect(job['metrics_path'] ?? '/metrics', String(job['job_name'])).toBe('/metrics');
  });

  it("names jobs reelay-* (the dashboard's process panels select on it), and adds no target label that clashes with a metric label", () => {
    for (const job of jobs) expect(String(job['job_name'])).toMatch(/^reelay-/);
    const metricLabels = new Set(
      [...Object.values(METRICS), ...Object.values(API_METRICS)].flatMap((m) => Object.keys(m.labels)),
    );
    const added = jobs.flatMap((j) =>
      (j['relabel_configs'] === undefined ? [] : asArray(j['relabel_configs'], 'relabel_configs')).map((r) =>
        String(asRecord(r, 'relabel')['target_label']),
      ),
    );
    expect(added).toContain('service');
    // A clash would rename the metric's own label to exported_<name> and break every query on it.
    expect(added.filter((label) => metricLabels.has(label))).toEqual([]);
  });
});
