import { readdirSync } from 'node:fs';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import type { Env } from './apps.ts';
import { asArray, asRecord, isRecord, readYamlDocuments, repoPath } from './files.ts';

export const K8S_DIR = 'infra/k8s';
/** Not a resource the kustomization applies: a template to copy and fill in. */
export const SECRET_TEMPLATE = 'secret.example.yaml';

export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  body: Record<string, unknown>;
}

/**
 * Schema validation per kind. `kubernetes-models` ships ajv validators compiled from the Kubernetes
 * OpenAPI schema, `@kubernetes-models/keda` from KEDA's CRDs. Like the API server's non-strict mode,
 * those schemas allow unknown fields; the tests read the fields that matter (probes, grace period,
 * security context, env, ports) directly, so a misspelled one of those fails there.
 */
const VALIDATORS: Record<string, (body: Record<string, unknown>) => void> = {
  'v1/Namespace': (b) => new Namespace(b as never).validate(),
  'v1/ConfigMap': (b) => new ConfigMap(b as never).validate(),
  'v1/Secret': (b) => new Secret(b as never).validate(),
  'v1/Service': (b) => new Service(b as never).validate(),
  'apps/v1/Deployment': (b) => new Deployment(b as never).validate(),
  'keda.sh/v1alpha1/ScaledObject': (b) => new ScaledObject(b as never).validate(),
};

export function validateManifest(m: Pick<Manifest, 'apiVersion' | 'kind' | 'body'>): void {
  const validate = VALIDATORS[`${m.apiVersion}/${m.kind}`];
  if (!validate) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  validate(m.body);
}

export function manifestFiles(): string[] {
  return readdirSync(repoPath(K8S_DIR))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();
}

export function loadManifests(files = manifestFiles()): Manifest[] {
  return files.flatMap((file) =>
    readYamlDocuments(K8S_DIR, file).map((doc) => {
      const body = asRecord(doc, file);
      const metadata = asRecord(body['metadata'], `${file} metadata`);
      return {
        file,
        apiVersion: String(body['apiVersion']),
        kind: String(body['kind']),
        name: String(metadata['name']),
        body,
      };
    }),
  );
}

export function byKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** Typed enough for the tests: the pod template of a Deployment. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
}

export interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    terminationGracePeriodSeconds?: number;
    securityContext?: Record<string, unknown>;
    containers: Container[];
  };
}

export function podTemplate(deployment: Manifest): PodTemplate {
  const spec = asRecord(deployment.body['spec'], `${deployment.name} spec`);
  return asRecord(spec['template'], `${deployment.name} template`) as unknown as PodTemplate;
}

/** The container's port number behind a probe's or Service's port (a number or a port name). */
export function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * The environment the kubelet would give the container: envFrom ConfigMaps (from these manifests),
 * then `env` (which wins), with secret refs filled from `secretValues` (a missing optional key is left
 * unset, as Kubernetes does).
 */
export function containerEnv(
  container: Container,
  manifests: Manifest[],
  secretValues: Record<string, string>,
): Env {
  const env: Env = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (!name)
      throw new Error(`${container.name}: only ConfigMap envFrom is used here (secrets are per-key refs)`);
    const map = manifests.find((m) => m.kind === 'ConfigMap' && m.name === name);
    if (!map)
      throw new Error(`${container.name}: envFrom names ConfigMap ${name}, which no manifest defines`);
    Object.assign(env, asRecord(map.body['data'], `${name} data`));
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secretValues[ref.key];
      if (value !== undefined) env[entry.name] = value;
      else if (!ref.optional)
        throw new Error(`${container.name}: required secret key ${ref.key} has no value`);
    } else {
      env[entry.name] = entry.value;
    }
  }
  return env;
}

/** Kubernetes' `$(VAR)` expansion in command and args, from the container's env. */
export function expandArgs(args: readonly string[], env: Env): string[] {
  return args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));
}

export function kustomization(): Record<string, unknown> {
  const [doc] = readYamlDocuments(K8S_DIR, 'kustomization.yaml');
  return asRecord(doc, 'kustomization.yaml');
}

export function stringList(value: unknown, what: string): string[] {
  return asArray(value, what).map(String);
}

export { isRecord };
