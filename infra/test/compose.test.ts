import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unknownVariables, workerStages } from './lib/apps.ts';
import {
  composeServices,
  composeValidator,
  durationMs,
  interpolate,
  loadComposeFile,
  reelayServices,
  service,
} from './lib/compose.ts';
import { asArray, asRecord, readRepoFile, repoPath } from './lib/files.ts';
import { tracingOptionsFromEnv } from '../../packages/core/src/telemetry/tracing-options.ts';

const file = loadComposeFile();
const apps = reelayServices(file);

/** Container ports a service publishes or exposes (`8080:8080` → 8080). */
function containerPorts(raw: Record<string, unknown>): number[] {
  const ports = raw['ports'] === undefined ? [] : asArray(raw['ports'], 'ports');
  return ports.map((p) => {
    if (typeof p === 'number') return p;
    if (typeof p === 'string') return Number(p.split('/')[0]?.split(':').at(-1));
    return Number(asRecord(p, 'port')['target']);
  });
}

/** The URL a `node -e "fetch('…')"` healthcheck asks. */
function healthcheckUrl(raw: Record<string, unknown>): URL {
  const test = asArray(asRecord(raw['healthcheck'], 'healthcheck')['test'], 'healthcheck.test').map(String);
  const url = /fetch\('([^']+)'\)/.exec(test.join(' '))?.[1];
  if (!url) throw new Error(`healthcheck does not fetch a URL: ${test.join(' ')}`);
  return new URL(url);
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file (Compose Specification JSON schema)', () => {
    const validate = composeValidator();
    const valid = validate(file);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check bites: a misspelled key and a bad replica count are refused', () => {
    const validate = composeValidator();
    const broken = structuredClone(file) as { services: Record<string, Record<string, unknown>> };
    const submit = broken.services['worker-submit'] ?? {};
    submit['comand'] = submit['command'];
    submit['deploy'] = { replicas: 'two' };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain('/services/worker-submit');
    expect(paths).toContain('/services/worker-submit/deploy/replicas');
  });

  it('runs the whole system: redis, minio + bucket, simulator, api, dashboard, one service per worker stage', () => {
    const names = composeServices(file).map((s) => s.name);
    for (const name of ['redis', 'minio', 'minio-init', 'provider-sim', 'api', 'dashboard']) {
      expect(names).toContain(name);
    }
    const stages = apps
      .filter((s) => s.app.name === 'worker')
      .map((s) => ({ service: s.name, stages: workerStages(s.args, s.env) }));
    expect(stages).toEqual([
      { service: 'worker-submit', stages: ['submit'] },
      { service: 'worker-poll', stages: ['poll'] },
      { service: 'worker-download', stages: ['download'] },
    ]);
  });

  it('runs every Reelay process from the one image built by infra/Dockerfile', () => {
    for (const s of apps) {
      expect(s.raw['image'], s.name).toBe('reelay:local');
      const build = asRecord(s.raw['build'], `${s.name}.build`);
      expect(build).toEqual({ context: '.', dockerfile: 'infra/Dockerfile' });
      expect(existsSync(repoPath(String(build['dockerfile'])))).toBe(true);
      expect(existsSync(repoPath(s.app.entry)), s.app.entry).toBe(true);
    }
    expect(new Set(apps.map((s) => s.app.name))).toEqual(
      new Set(['worker', 'api', 'dashboard', 'provider-sim']),
    );
  });

  it('scales workers by replicas, and publishes no host port that replicas would fight over', () => {
    for (const s of apps.filter((a) => a.app.name === 'worker')) {
      const replicas = asRecord(s.raw['deploy'], `${s.name}.deploy`)['replicas'];
      expect(replicas, s.name).toBeGreaterThanOrEqual(2);
      expect(s.raw['ports'], s.name).toBeUndefined();
      expect(s.raw['container_name'], s.name).toBeUndefined();
    }
  });

  it('keeps Redis durable and never evicts a job: AOF fsync every second, noeviction, a volume', () => {
    const redis = service('redis', file);
    const args = redis.command ?? [];
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(args[0]).toBe('redis-server');
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--appendfsync')).toBe('everysec');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    const volumes = asArray(redis.raw['volumes'], 'redis.volumes').map(String);
    expect(volumes).toContain('redis-data:/data');
    expect(Object.keys(asRecord(file['volumes'], 'volumes'))).toContain('redis-data');
  });

  it('creates the bucket the workers store into before any worker starts', () => {
    const init = service('minio-init', file);
    const entrypoint = asArray(init.raw['entrypoint'], 'minio-init.entrypoint').map(String);
    expect(entrypoint.slice(0, 3)).toEqual(['mc', 'mb', '--ignore-existing']);
    const bucket = entrypoint.at(-1)?.split('/')[1];
    const alias = entrypoint.at(-1)?.split('/')[0] ?? '';
    // mc reads the alias `local` from MC_HOST_local: it must point at the minio service with its root user.
    const host = new URL(init.env[`MC_HOST_${alias}`] ?? '');
    const minio = service('minio', file);
    expect(host.host).toBe('minio:9000');
    expect(host.username).toBe(minio.env['MINIO_ROOT_USER']);
    expect(host.password).toBe(minio.env['MINIO_ROOT_PASSWORD']);
    expect(asRecord(init.raw['depends_on'], 'depends_on')['minio']).toEqual({ condition: 'service_healthy' });

    for (const s of apps.filter((a) => a.app.name === 'worker')) {
      const storage = new URL(s.env['REELAY_STORAGE_URL'] ?? '');
      expect(storage.protocol, s.name).toBe('s3:');
      expect(storage.hostname, s.name).toBe(bucket);
      expect(s.env['AWS_ENDPOINT_URL_S3'], s.name).toBe('http://minio:9000');
      expect(s.env['AWS_REGION'], s.name).toBeTruthy();
      expect(s.env['AWS_ACCESS_KEY_ID'], s.name).toBe(minio.env['MINIO_ROOT_USER']);
      expect(s.env['AWS_SECRET_ACCESS_KEY'], s.name).toBe(minio.env['MINIO_ROOT_PASSWORD']);
      const deps = asRecord(s.raw['depends_on'], `${s.name}.depends_on`);
      expect(deps['minio-init'], s.name).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it("answers the S3 SDK's virtual-host requests: MinIO knows its domain and the bucket host resolves to it", () => {
    // The S3 driver sets no forcePathStyle, so the AWS SDK asks `<bucket>.minio:9000`.
    const minio = service('minio', file);
    const bucket = new URL(service('worker-submit', file).env['REELAY_STORAGE_URL'] ?? '').hostname;
    expect(minio.env['MINIO_DOMAIN']).toBe('minio');
    const networks = asRecord(minio.raw['networks'], 'minio.networks');
    const aliases = asArray(asRecord(networks['default'], 'default')['aliases'], 'aliases');
    expect(aliases).toContain(`${bucket}.minio`);
  });

  it('gives each app an environment its own schema accepts, with no variable it would ignore', () => {
    for (const s of apps) {
      expect(unknownVariables(s.app, s.env), `${s.name} sets variables ${s.app.name} never reads`).toEqual(
        [],
      );
      expect(() => s.app.resolve(s.args, s.env), s.name).not.toThrow();
    }
  });

  it('the env check bites: a misspelled variable is reported, and a worker without a provider key refuses to start', () => {
    const worker = apps.find((s) => s.name === 'worker-submit');
    if (!worker) throw new Error('no worker-submit');
    expect(unknownVariables(worker.app, { ...worker.env, REELAY_LOCK_DURATION: '1' })).toEqual([
      'REELAY_LOCK_DURATION',
    ]);
    const { OPENAI_API_KEY: _, ...keyless } = worker.env;
    expect(() => worker.app.resolve(worker.args, keyless)).toThrow(/OPENAI_API_KEY/);
  });

  it('listens, publishes and health-checks on the port each app is configured with', () => {
    for (const s of apps) {
      const { port, health } = s.app.resolve(s.args, s.env);
      const url = healthcheckUrl(s.raw);
      expect(Number(url.port), `${s.name} healthcheck`).toBe(port);
      expect(url.pathname, `${s.name} healthcheck`).toBe(health.live);
      for (const published of containerPorts(s.raw)) expect(published, `${s.name} ports`).toBe(port);
    }
  });

  it('points every process at the same Redis and prefix, and the workers and dashboard at the same limits', () => {
    const redisUsers = apps.filter((s) => s.app.name !== 'provider-sim');
    expect(new Set(redisUsers.map((s) => s.env['REDIS_URL']))).toEqual(new Set(['redis://redis:6379']));
    expect(new Set(redisUsers.map((s) => s.env['REELAY_PREFIX']))).toEqual(new Set(['{reelay}']));
    const limits = [
      'REELAY_MAX_IN_FLIGHT',
      'REELAY_BUDGET_GLOBAL_DAILY_USD',
      'REELAY_BUDGET_GLOBAL_MONTHLY_USD',
      'REELAY_BUDGET_TENANT_DAILY_USD',
      'REELAY_BUDGET_TENANT_MONTHLY_USD',
    ];
    const limited = apps.filter((s) => s.app.name === 'worker' || s.app.name === 'dashboard');
    for (const name of limits) {
      expect(new Set(limited.map((s) => s.env[name])).size, name).toBe(1);
    }
  });

  it('wires provider webhooks end to end: simulator → api route, one secret, workers told polls are a safety net', () => {
    const sim = apps.find((s) => s.app.name === 'provider-sim');
    const api = apps.find((s) => s.app.name === 'api');
    if (!sim || !api) throw new Error('simulator or api missing');
    const flag = (name: string) => sim.args[sim.args.indexOf(name) + 1];
    const target = new URL(flag('--webhook-url') ?? '');
    expect(target.hostname).toBe(api.name);
    expect(Number(target.port)).toBe(api.app.resolve(api.args, api.env).port);
    expect(target.pathname).toBe('/webhooks/provider');
    expect(flag('--webhook-secret')).toBe(api.env['OPENAI_WEBHOOK_SECRET']);
    const simPort = sim.app.resolve(sim.args, sim.env).port;
    for (const w of apps.filter((s) => s.app.name === 'worker')) {
      expect(w.env['OPENAI_BASE_URL'], w.name).toBe(`http://${sim.name}:${simPort}/v1`);
      expect(w.env['REELAY_WEBHOOKS'], w.name).toBe('true');
      expect(w.env['OPENAI_WEBHOOK_SECRET'], w.name).toBe(api.env['OPENAI_WEBHOOK_SECRET']);
      // Poll timing follows the simulator's clock.
      expect(w.env['REELAY_PROVIDER_TIME_SCALE'], w.name).toBe(flag('--time-scale'));
    }
  });

  it("lets running work finish on stop: stop_grace_period above each app's shutdown timeout (and the worker lock)", () => {
    for (const s of apps.filter((a) => a.app.name !== 'provider-sim')) {
      const { stopMs } = s.app.resolve(s.args, s.env);
      const grace = durationMs(String(s.raw['stop_grace_period'] ?? '10s'));
      expect(grace, s.name).toBeGreaterThan(stopMs);
    }
  });

  it('starts apps only once what they need is healthy', () => {
    for (const s of apps.filter((a) => a.app.name !== 'provider-sim')) {
      const deps = asRecord(s.raw['depends_on'], `${s.name}.depends_on`);
      expect(deps['redis'], s.name).toEqual({ condition: 'service_healthy' });
    }
    for (const name of Object.keys(asRecord(file['services'], 'services'))) {
      const deps = service(name, file).raw['depends_on'];
      if (deps === undefined || Array.isArray(deps)) continue;
      for (const [dep, cond] of Object.entries(asRecord(deps, 'depends_on'))) {
        if (asRecord(cond, 'cond')['condition'] === 'service_healthy') {
          expect(
            service(dep, file).raw['healthcheck'],
            `${name} waits on ${dep}'s healthcheck`,
          ).toBeDefined();
        }
      }
    }
  });

  it('keeps Prometheus and Grafana under the observability profile, provisioned from infra/', () => {
    const prometheus = service('prometheus', file);
    const grafana = service('grafana', file);
    expect(prometheus.profiles).toEqual(['observability']);
    expect(grafana.profiles).toEqual(['observability']);
    const mounts = [...asArray(prometheus.raw['volumes'], 'v'), ...asArray(grafana.raw['volumes'], 'v')].map(
      String,
    );
    for (const mount of mounts.filter((m) => m.startsWith('./'))) {
      const source = mount.split(':')[0] ?? '';
      expect(existsSync(repoPath(source)), mount).toBe(true);
    }
    expect(mounts).toContain('./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(mounts).toContain('./infra/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(mounts).toContain('./infra/grafana/dashboards:/var/lib/grafana/dashboards:ro');
    // Everything else starts with a plain `docker compose up`.
    for (const s of composeServices(file).filter(
      (x) => !['prometheus', 'grafana', 'jaeger'].includes(x.name),
    )) {
      expect(s.profiles, s.name).toEqual([]);
    }
  });

  it('wires tracing to the processes that trace (api, workers): off by default, exporting to Jaeger when on', () => {
    const jaeger = service('jaeger', file);
    expect(jaeger.profiles).toEqual(['observability']);
    const tracing = apps.filter((s) => s.app.traces);
    expect(new Set(tracing.map((s) => s.app.name))).toEqual(new Set(['api', 'worker']));
    for (const s of tracing) {
      expect(tracingOptionsFromEnv('reelay', s.env).mode, s.name).toBe('off');
      expect(tracingOptionsFromEnv('reelay', { ...s.env, REELAY_TRACING: 'otlp' }).mode).toBe('otlp');
      // The OTLP/HTTP receiver port of the Jaeger service, on the compose network.
      expect(new URL(s.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '').host, s.name).toBe('jaeger:4318');
    }
    // `REELAY_TRACING=otlp docker compose …` turns it on for all of them at once.
    const text = readRepoFile('docker-compose.yml');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a JS template
    expect(text).toContain('REELAY_TRACING: ${REELAY_TRACING:-off}');
  });

  it('marks its demo credentials as such', () => {
    const text = readRepoFile('docker-compose.yml');
    for (const line of text
      .split('\n')
      .filter((l) => /PASSWORD|SECRET|API_KEY|MC_HOST|whsec_|USERS:/.test(l))) {
      if (line.trim().startsWith('#') || line.includes('valueFrom')) continue;
      expect(line, 'a credential line without a DEMO mark').toMatch(/# DEMO/);
    }
  });

  it('interpolates like Compose: $$ is a dollar, defaults apply, nothing is read from the caller', () => {
    expect(interpolate('scrypt$$1$$ab', 'x')).toBe('scrypt$1$ab');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a JS template
    expect(interpolate('${PORT:-8080}', 'x')).toBe('8080');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a JS template
    expect(() => interpolate('${OPENAI_API_KEY}', 'x')).toThrow(/OPENAI_API_KEY/);
    expect(durationMs('1m30s')).toBe(90_000);
  });
});
