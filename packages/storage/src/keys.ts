import { StorageError } from './errors.ts';

/** S3's limit on key length (bytes, UTF-8); the local driver keeps to it too so keys move between drivers. */
const MAX_KEY_BYTES = 1024;

/**
 * Refuses keys that could escape the store's root or mean different things to different drivers:
 * empty, absolute, `.`/`..`/empty segments, backslashes (a separator on Windows), NUL.
 * Returns the key unchanged when it is fine.
 */
export function checkKey(key: string): string {
  const problem = keyProblem(key);
  if (problem) {
    throw new StorageError('invalid_request', `invalid object key ${JSON.stringify(key)}: ${problem}`, {
      param: 'key',
    });
  }
  return key;
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'absolute keys are not allowed';
  if (key.includes('\\')) return 'backslashes are not allowed';
  if (key.includes('\0')) return 'NUL is not allowed';
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty path segments are not allowed';
    if (segment === '.' || segment === '..') return `"${segment}" segments are not allowed`;
  }
  return undefined;
}

/** Where a video's manifest lives: beside it, so the store alone can rebuild history. */
export function manifestKey(videoKey: string): string {
  return `${checkKey(videoKey)}.manifest.json`;
}
