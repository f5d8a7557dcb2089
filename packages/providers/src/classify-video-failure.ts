/** What a video the provider itself ended as `failed` means for the request that asked for it. */
export interface VideoFailure {
  /** The record's error code. */
  code: 'content_policy' | 'invalid_request' | 'provider_failed';
  /** Whether a new video for the same request may do better (a new round, bounded by the caller). */
  resubmit: boolean;
}

// The Videos API publishes no list of a failed video's `error.code`s (reference/videos-api.md), so
// these are matched by meaning. A verdict on the content is final: asking again pays for the same
// refusal. So is a request the provider found unusable only once it started (an input reference it
// cannot read, a combination it does not serve): the same request fails the same way.
const POLICY = /moderation|policy|safety|content/i;
const INVALID = /invalid|unsupported|not_supported|bad_request|malformed|unprocessable/i;

/**
 * Classifies a failed video's `error.code`: content policy and invalid requests are final; anything
 * else (`internal_error`, `server_error`, a capacity or timeout code, none at all) is the provider's
 * own failure, worth a new video a bounded number of times.
 */
export function classifyVideoFailure(providerCode: string | undefined): VideoFailure {
  const code = providerCode ?? '';
  if (POLICY.test(code)) return { code: 'content_policy', resubmit: false };
  if (INVALID.test(code)) return { code: 'invalid_request', resubmit: false };
  return { code: 'provider_failed', resubmit: true };
}
