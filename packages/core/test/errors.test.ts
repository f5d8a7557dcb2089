import { describe, expect, it } from 'vitest';
import { ReelayError, deserializeError, serializeError } from '../src/index.ts';

describe('errors', () => {
  it('survive a JSON round trip with the data that decides what happens next', () => {
    const original = new ReelayError('rate_limited', 'provider asked us to wait', {
      retryable: true,
      retryAfterMs: 1500,
      details: { status: 429 },
    });
    const back = deserializeError(JSON.parse(JSON.stringify(original)));
    expect(back.code).toBe('rate_limited');
    expect(back.retryable).toBe(true);
    expect(back.retryAfterMs).toBe(1500);
    expect(back.details).toEqual({ status: 429 });
  });

  it('turns unknown throwables into internal, non-retryable errors', () => {
    expect(serializeError(new TypeError('boom'))).toEqual({
      name: 'TypeError',
      code: 'internal',
      message: 'boom',
      retryable: false,
    });
  });
});
