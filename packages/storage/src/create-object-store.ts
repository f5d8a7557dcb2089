import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError } from './errors.ts';
import { LocalObjectStore } from './local-store.ts';
import type { ObjectStore } from './object-store.ts';
import type { S3DriverOptions } from './s3-options.ts';
import { S3ObjectStore } from './s3-store.ts';

/** The embedded default: videos under `./data/videos`, relative to the working directory. */
export const DEFAULT_STORAGE_URL = 'file://./data/videos';

const ALLOWED_FORMS =
  'file:///absolute/path, file://./relative/path, a plain path (./data/videos), or s3://bucket/prefix[?forcePathStyle=true]';

/** Query parameters an s3:// URL may carry (client settings the AWS SDK does not read from the environment). */
const S3_PARAMS = ['forcePathStyle'];

/**
 * An object store from a REELAY_STORAGE_URL-style string:
 * - `file:///abs/path`, `file://./relative/path` (against the working directory) or a plain path → local;
 * - `s3://bucket/prefix` → S3, with `options` for the client (else the AWS SDK's standard environment:
 *   `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, the credential chain, `AWS_REQUEST_CHECKSUM_CALCULATION`…).
 *   `?forcePathStyle=true` puts the bucket in the path instead of the host name — what MinIO, Ceph and
 *   most self-hosted S3 servers need, and the one client setting the SDK takes from no variable.
 *   An explicit `options.clientConfig.forcePathStyle` wins.
 */
export function createObjectStore(
  url: string = DEFAULT_STORAGE_URL,
  options: S3DriverOptions = {},
): ObjectStore {
  const trimmed = url.trim();
  if (trimmed.startsWith('file://')) return new LocalObjectStore(filePath(trimmed));
  if (trimmed.startsWith('s3://')) return s3Store(trimmed, options);
  // `C:\…` has a one-letter "scheme"; real schemes are longer.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(trimmed)?.[1];
  if (scheme) invalid(`unsupported scheme "${scheme}:"`);
  if (trimmed === '') invalid('it is empty');
  return new LocalObjectStore(resolve(trimmed));
}

function filePath(url: string): string {
  const rest = url.slice('file://'.length);
  // `file://./videos` is not a valid file URL (the `.` would be a host), but it is the natural way to
  // write a relative directory, so it is read as one.
  if (rest.startsWith('.')) return resolve(decodeURIComponent(rest));
  try {
    const path = fileURLToPath(url);
    if (!isAbsolute(path)) invalid('the file URL does not name an absolute path');
    return path;
  } catch (error) {
    if (error instanceof StorageError) throw error;
    return invalid(`not a usable file URL (${error instanceof Error ? error.message : String(error)})`);
  }
}

function s3Store(url: string, options: S3DriverOptions): ObjectStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('not a valid s3:// URL');
  }
  if (parsed.username || parsed.password)
    invalid('credentials do not belong in the URL; use the AWS credential chain');
  if (!parsed.hostname) invalid('the s3:// URL names no bucket');
  const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  for (const name of parsed.searchParams.keys()) {
    if (!S3_PARAMS.includes(name))
      invalid(`unknown s3:// URL parameter "${name}"; allowed: ${S3_PARAMS.join(', ')}`);
  }
  const pathStyle = parsed.searchParams.get('forcePathStyle');
  if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') {
    invalid('forcePathStyle must be true or false');
  }
  if (pathStyle === null || options.client || options.clientConfig?.forcePathStyle !== undefined) {
    return new S3ObjectStore(parsed.hostname, prefix, options);
  }
  return new S3ObjectStore(parsed.hostname, prefix, {
    ...options,
    clientConfig: { ...options.clientConfig, forcePathStyle: pathStyle === 'true' },
  });
}

function invalid(why: string): never {
  // Only the reason is reported, never the URL itself: it may carry credentials.
  throw new StorageError('config_invalid', `REELAY_STORAGE_URL: ${why}. Allowed forms: ${ALLOWED_FORMS}`, {
    param: 'REELAY_STORAGE_URL',
  });
}
