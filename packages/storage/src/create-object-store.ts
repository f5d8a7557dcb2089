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
  'file:///absolute/path, file://./relative/path, a plain path (./data/videos), or s3://bucket/prefix';

/**
 * An object store from a REELAY_STORAGE_URL-style string:
 * - `file:///abs/path`, `file://./relative/path` (against the working directory) or a plain path → local;
 * - `s3://bucket/prefix` → S3, with `options` for the client (else the AWS SDK's standard environment).
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
  return new S3ObjectStore(parsed.hostname, prefix, options);
}

function invalid(why: string): never {
  // Only the reason is reported, never the URL itself: it may carry credentials.
  throw new StorageError('config_invalid', `REELAY_STORAGE_URL: ${why}. Allowed forms: ${ALLOWED_FORMS}`, {
    param: 'REELAY_STORAGE_URL',
  });
}
