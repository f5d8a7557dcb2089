import { ReelayError, type ErrorCode, type ReelayErrorOptions } from '@reelay/core';

/**
 * Storage failures, on the shared taxonomy so a pipeline stage can decide from `code` alone:
 * `length_mismatch` (retryable: the source may deliver in full next time), `invalid_request` for
 * a refused key, `not_found` for a missing object, `config_invalid` for a bad REELAY_STORAGE_URL.
 */
export class StorageError extends ReelayError {
  constructor(code: ErrorCode, message: string, options: ReelayErrorOptions = {}) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}

export function lengthMismatch(expected: number, actual: number, early: boolean): StorageError {
  const detail = early
    ? `more than ${expected} bytes (already ${actual})`
    : `${actual} bytes, expected ${expected}`;
  return new StorageError('length_mismatch', `object body was ${detail}; nothing was stored`, {
    retryable: true,
    details: { expectedBytes: expected, actualBytes: actual },
  });
}

export function notFound(uri: string): StorageError {
  return new StorageError('not_found', `no object at ${uri}`);
}
