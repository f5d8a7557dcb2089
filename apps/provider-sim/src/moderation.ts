import { ApiError } from './api-error.ts';
import { hashHex } from './random.ts';

const CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/instructions',
  'self-harm/intent',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;

/** Whether the text contains a blocklisted word (case-insensitive, whole words or phrases). */
export function isBlocked(text: string, blocklist: readonly string[]): boolean {
  if (blocklist.length === 0) return false;
  const lower = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  return blocklist.some((word) => {
    const needle = word
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    return needle !== '' && lower.includes(` ${needle} `);
  });
}

export function moderationBlocked(): ApiError {
  return new ApiError(
    400,
    'Your request was blocked by our moderation system. Please revise your prompt and try again.',
    { code: 'moderation_blocked' },
  );
}

function inputsOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) {
    throw new ApiError(400, "Invalid type for 'input': expected a string or an array.", {
      param: 'input',
      code: 'invalid_type',
    });
  }
  return input.map((item) => {
    if (typeof item === 'string') return item;
    if (item && typeof item === 'object' && 'text' in item && typeof item.text === 'string') return item.text;
    return '';
  });
}

/** `POST /v1/moderations`: flags an input exactly when it contains a blocklisted word. */
export function moderate(
  body: Record<string, unknown>,
  blocklist: readonly string[],
  seed: string,
  n: number,
) {
  if (body['input'] === undefined) {
    throw new ApiError(400, "Missing required parameter: 'input'.", {
      param: 'input',
      code: 'missing_required_parameter',
    });
  }
  const model = typeof body['model'] === 'string' ? body['model'] : 'omni-moderation-latest';
  return {
    id: `modr-${hashHex(seed, 'moderation', n).slice(0, 32)}`,
    model,
    results: inputsOf(body['input']).map((text) => {
      const flagged = isBlocked(text, blocklist);
      const categories = Object.fromEntries(CATEGORIES.map((c) => [c, flagged && c === 'violence']));
      const scores = Object.fromEntries(
        CATEGORIES.map((c) => [c, flagged && c === 'violence' ? 0.97 : 0.0001]),
      );
      const applied = Object.fromEntries(CATEGORIES.map((c) => [c, ['text']]));
      return { flagged, categories, category_scores: scores, category_applied_input_types: applied };
    }),
  };
}
