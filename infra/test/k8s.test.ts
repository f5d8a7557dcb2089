import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AppSpec, appOfCommand, unknownVariables, workerStages } from './lib/apps.ts';
import { service } from './lib/compose.ts';
import { asArray, asRecord, repoPath } from './lib/files.ts';
import {
  type Container,
  type Manifest,
  SECRET_TEMPLATE,
  byKind,
  containerEnv,
  expandArgs,
  kustomization,
  loadManifests,
  manifestFiles,
  podTemplate,
  resolvePort,
  stringList,
  validateManifest,
} from './lib/k8s.ts';
import { parsePromQL } from './lib/promql.ts';
import { parseStages } from '../../apps/worker/src/env.ts';
import { tracingOptionsFromEnv } from '../../packages/core/src/telemetry/tracing-options.ts';

const manifests = loadManifests();
const deployments = byKind(manifests, 'Deployment');
const secretTemplate = manifests.find((m) => m.file === SECRET_TEMPLATE);
const secretKeys = Object.keys(asRecord(secretTemplate?.body['stringData'], 'secret stringData'));

/** Valid stand-ins for the Secret's keys, so each app's loader can run on the wired environment. */
const SECRET_VALUES: Record<string, string> = {
  REDIS_URL: 'redis://redis:6379',
  OPENAI_API_KEY: 'sk-test',
  OPENAI_WEBHOOK_SECRET: service('api').env['OPENAI_WEBHOOK_SECRET'] ?? '',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  REELAY_DASHBOARD_USERS: service('dashboard').env['REELAY_DASHBOARD_USERS'] ?? '',
};

interface Workload {
  deployment: Manifest;
  container: Container;
  app: AppSpec;
  args: string[];
  env: Record<string, string | undefined>;
}

const workloads: Workload[] = deployments.map((deployment) => {
  const containers = podTemplate(deployment).spec.containers;
  expect(containers, deployment.name).toHaveLength(1);
  const container = containers[0] as Container;
  const env = containerEnv(container, manifests, SECRET_VALUES);
  const command = expandArgs([...(container.command ?? []), ...(container.args ?? [])], env);
  return { deployment, container, env, ...appOfCommand(command) };
});
const workers = workloads.filter((w) => w.app.name === 'worker');

describe('Kubernetes manifests (infra/k8s)', () => {
  it("every manifest is valid against the Kubernetes OpenAPI schema, and the ScaledObjects against KEDA's CRD", () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const m of manifests)
      expect(() => validateManifest(m), `${m.file} ${m.kind}/${m.name}`).not.toThrow();
  });

  it('the schema check bites: a string containerPort and a ScaledObject without a target are refused', () => {
    const deployment = structuredClone(workers[0]?.deployment.body) as Record<string, unknown>;
    const container = (podTemplate({ body: deployment } as Manifest).spec.containers[0] ??
      {}) as unknown as Record<string, unknown>;
    container['ports'] = [{ containerPort: '8081' }];
    expect(() => validateManifest({ apiVersion: 'apps/v1', kind: 'Deployment', body: deployment })).toThrow(
      /containerPort/,
    );
    const scaled = structuredClone(byKind(manifests, 'ScaledObject')[0]?.body) as Record<string, unknown>;
    delete asRecord(scaled['spec'], 'spec')['scaleTargetRef'];
    expect(() =>
      validateManifest({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', body: scaled }),
    ).toThrow(/scaleTargetRef/);
  });

  it('the kustomization applies every manifest but the Secret template, into the reelay namespace', () => {
    const k = kustomization();
    const resources = stringList(k['resources'], 'resources');
    for (const r of resources) expect(existsSync(repoPath('infra/k8s', r)), r).toBe(true);
    expect(resources.sort()).toEqual(manifestFiles().filter((f) => f !== SECRET_TEMPLATE));
    const ns = byKind(manifests, 'Namespace')[0];
    expect(k['namespace']).toBe(ns?.name);
    expect(secretTemplate?.kind).toBe('Secret');
  });

  it('runs one Deployment per worker stage, each with a --stage the worker accepts, covering every stage', () => {
    const stages = workers.map((w) => workerStages(w.args, w.env));
    for (const s of stages) expect(s).toHaveLength(1);
    expect(stages.flat().sort()).toEqual(parseStages('all').sort());
    for (const w of workers) expect(w.deployment.name).toBe(`worker-${workerStages(w.args, w.env)[0]}`);
    expect(new Set(workloads.map((w) => w.app.name))).toEqual(
      new Set(['worker', 'api', 'dashboard', 'provider-sim']),
    );
  });

  it('gives each app an environment its own schema accepts, with no variable it would ignore', () => {
    for (const w of workloads) {
      // A variable expanded into the arguments as $(VAR) is read by Kubernetes, not by the app.
      const expanded = [...(w.container.command ?? []), ...(w.container.args ?? [])].join(' ');
      const read = unknownVariables(w.app, w.env).filter((name) => !expanded.includes(`$(${name})`));
      expect(read, w.deployment.name).toEqual([]);
      expect(() => w.app.resolve(w.args, w.env), w.deployment.name).not.toThrow();
    }
  });

  it('wires tracing (reelay-tracing, off by default) into exactly the apps that trace: api and workers', () => {
    for (const w of workloads) {
      const maps = (w.container.envFrom ?? []).map((e) => e.configMapRef?.name);
      expect(maps.includes('reelay-tracing'), w.deployment.name).toBe(w.app.traces);
      if (!w.app.traces) continue;
      expect(tracingOptionsFromEnv('reelay', w.env).mode, w.deployment.name).toBe('off');
      expect(new URL(w.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '').port, w.deployment.name).toBe('4318');
    }
    expect(new Set(workloads.filter((w) => w.app.traces).map((w) => w.app.name))).toEqual(
      new Set(['api', 'worker']),
    );
  });

  it('keeps secrets in the Secret: only secretKeyRefs to keys the template defines, none in ConfigMaps', () => {
    for (const w of workloads) {
      for (const e of w.container.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (/KEY|SECRET|PASSWORD|USERS|REDIS_URL/.test(e.name))
          expect(ref, `${w.deployment.name} ${e.name}`).toBeDefined();
        if (ref) {
          expect(ref.name).toBe(secretTemplate?.name);
          expect(secretKeys, `${w.deployment.name} ${e.name}`).toContain(ref.key);
        }
      }
    }
    for (const map of byKind(manifests, 'ConfigMap')) {
      const names = Object.keys(asRecord(map.body['data'], 'data'));
      expect(
        names.filter((n) => /KEY|SECRET|PASSWORD|USERS|REDIS_URL/.test(n)),
        map.name,
      ).toEqual([]);
    }
    for (const value of Object.values(asRecord(secretTemplate?.body['stringData'], 'stringData'))) {
      expect(String(value)).toMatch(/REPLACE_ME|^redis:\/\/redis:6379$/);
    }
  });

  it('declares, probes, annotates and serves the port each app listens on; liveness /healthz, readiness /readyz', () => {
    const services = byKind(manifests, 'Service');
    for (const w of workloads) {
      const { port, health } = w.app.resolve(w.args, w.env);
      const name = w.deployment.name;
      expect(
        w.container.ports?.map((p) => p.containerPort),
        name,
      ).toEqual([port]);
      expect(w.container.livenessProbe?.httpGet?.path, name).toBe(health.live);
      expect(w.container.readinessProbe?.httpGet?.path, name).toBe(health.ready);
      for (const probe of [w.container.livenessProbe, w.container.readinessProbe, w.container.startupProbe]) {
        if (probe) expect(resolvePort(w.container, probe.httpGet?.port), name).toBe(port);
      }
      const annotations = podTemplate(w.deployment).metadata.annotations ?? {};
      if (annotations['prometheus.io/scrape'] === 'true') {
        expect(Number(annotations['prometheus.io/port']), name).toBe(port);
        expect(annotations['prometheus.io/path'], name).toBe('/metrics');
      }
      const svc = services.find((s) => s.name === name);
      if (svc) {
        const spec = asRecord(svc.body['spec'], 'spec');
        const labels = podTemplate(w.deployment).metadata.labels ?? {};
        for (const [k, v] of Object.entries(asRecord(spec['selector'], 'selector')))
          expect(labels[k], name).toBe(v);
        for (const p of asArray(spec['ports'], 'ports')) {
          expect(resolvePort(w.container, asRecord(p, 'port')['targetPort'] as string), name).toBe(port);
        }
      }
    }
    // Every Reelay process but the simulator is scraped.
    for (const w of workloads.filter((x) => x.app.name !== 'provider-sim')) {
      expect(
        podTemplate(w.deployment).metadata.annotations?.['prometheus.io/scrape'],
        w.deployment.name,
      ).toBe('true');
    }
    // The api and dashboard are reachable by Service; the simulator too, at the URL the workers use.
    expect(services.map((s) => s.name).sort()).toEqual(['api', 'dashboard', 'provider-sim']);
    const sim = workloads.find((w) => w.app.name === 'provider-sim');
    const simPort = sim?.app.resolve(sim.args, sim.env).port;
    for (const w of workers) expect(w.env['OPENAI_BASE_URL']).toBe(`http://provider-sim:${simPort}/v1`);
  });

  it('gives pods longer to stop than the lock and shutdown timeout they run with', () => {
    for (const w of workloads) {
      const { stopMs } = w.app.resolve(w.args, w.env);
      const grace = podTemplate(w.deployment).spec.terminationGracePeriodSeconds ?? 30;
      expect(grace * 1000, w.deployment.name).toBeGreaterThan(stopMs);
    }
    // The worker's figure includes its BullMQ lock, not only its shutdown timeout.
    for (const w of workers) {
      expect(w.app.resolve(w.args, w.env).stopMs).toBe(Number(w.env['REELAY_LOCK_DURATION_MS']));
    }
  });

  it('runs every container non-root, unprivileged, read-only, with requests and a memory limit', () => {
    for (const w of workloads) {
      const pod = podTemplate(w.deployment).spec;
      const name = w.deployment.name;
      expect(pod.securityContext?.['runAsNonRoot'], name).toBe(true);
      expect(pod.securityContext?.['runAsUser'], name).toBeGreaterThan(0);
      expect(pod.securityContext?.['seccompProfile'], name).toEqual({ type: 'RuntimeDefault' });
      const sc = w.container.securityContext ?? {};
      expect(sc['allowPrivilegeEscalation'], name).toBe(false);
      expect(sc['readOnlyRootFilesystem'], name).toBe(true);
      expect(sc['capabilities'], name).toEqual({ drop: ['ALL'] });
      expect(w.container.resources?.requests?.['cpu'], name).toBeTruthy();
      expect(w.container.resources?.requests?.['memory'], name).toBeTruthy();
      expect(w.container.resources?.limits?.['memory'], name).toBeTruthy();
      expect(w.container.image, name).toBe('reelay');
    }
  });

  it('scales each worker stage with a KEDA ScaledObject on its waiting + prioritized jobs', () => {
    const scaled = byKind(manifests, 'ScaledObject');
    expect(scaled.map((s) => s.name).sort()).toEqual(workers.map((w) => w.deployment.name).sort());
    for (const s of scaled) {
      const spec = asRecord(s.body['spec'], 'spec');
      const target = asRecord(spec['scaleTargetRef'], 'scaleTargetRef');
      const worker = workers.find((w) => w.deployment.name === target['name']);
      if (!worker) throw new Error(`${s.name} targets no worker Deployment`);
      const [stage] = workerStages(worker.args, worker.env);
      // KEDA owns the replica count: a Deployment that sets one would fight the HPA on every apply.
      expect(
        asRecord(worker.deployment.body['spec'], 'spec')['replicas'],
        worker.deployment.name,
      ).toBeUndefined();
      expect(spec['minReplicaCount'], s.name).toBeGreaterThanOrEqual(1);
      expect(Number(spec['maxReplicaCount'])).toBeGreaterThan(Number(spec['minReplicaCount']));

      const triggers = asArray(spec['triggers'], 'triggers').map((t) => asRecord(t, 'trigger'));
      expect(
        triggers.map((t) => t['type']),
        s.name,
      ).toEqual(['prometheus']);
      const trigger = triggers[0] ?? {};
      expect(trigger['metricType'], s.name).toBe('AverageValue');
      const metadata = asRecord(trigger['metadata'], 'metadata');
      expect(Number(metadata['threshold']), s.name).toBeGreaterThan(0);
      expect(String(metadata['serverAddress'])).toMatch(/^https?:\/\//);

      const query = parsePromQL(String(metadata['query']));
      expect(query.topAggregate, s.name).toBe('sum');
      expect(query.selectors, s.name).toEqual([
        {
          metric: 'reelay_queue_jobs',
          matchers: [
            { label: 'queue', op: '=', value: stage },
            { label: 'state', op: '=~', value: 'waiting|prioritized' },
          ],
        },
      ]);
    }
  });
});
