import { describe, expect, it } from 'vitest';
import { createOpenAIProvider, resolveOpenAIProviderOptions } from '../src/index.ts';

describe('OpenAI provider options', () => {
  it('takes explicit options over the environment', () => {
    const resolved = resolveOpenAIProviderOptions({
      apiKey: 'explicit-key-1234',
      baseURL: 'http://gateway.test/v1',
      model: 'sora-2-pro',
      env: {
        OPENAI_API_KEY: 'env-key-1234',
        OPENAI_BASE_URL: 'http://env.test/v1',
        REELAY_MODEL: 'env-model',
      },
    });
    expect(resolved).toMatchObject({
      apiKey: 'explicit-key-1234',
      baseURL: 'http://gateway.test/v1',
      model: 'sora-2-pro',
    });
  });

  it('falls back to OPENAI_API_KEY, OPENAI_BASE_URL and REELAY_MODEL, then to defaults', () => {
    const fromEnv = resolveOpenAIProviderOptions({
      env: {
        OPENAI_API_KEY: 'env-key-1234',
        OPENAI_BASE_URL: 'http://env.test/v1',
        REELAY_MODEL: 'env-model',
      },
    });
    expect(fromEnv).toMatchObject({
      apiKey: 'env-key-1234',
      baseURL: 'http://env.test/v1',
      model: 'env-model',
    });
    const defaults = resolveOpenAIProviderOptions({ env: { OPENAI_API_KEY: 'env-key-1234' } });
    expect(defaults).toMatchObject({
      baseURL: 'https://api.openai.com/v1',
      model: 'sora-2',
      timeoutMs: 60_000,
      name: 'openai',
    });
    expect(
      createOpenAIProvider({ env: { OPENAI_API_KEY: 'k-12345678', REELAY_MODEL: 'm1' } }).defaultModel,
    ).toBe('m1');
  });

  it('fails fast without a key, with a bad URL or timeout, and never echoes the key', () => {
    expect(() => resolveOpenAIProviderOptions({ env: {} })).toThrow(/no provider API key/);
    expect(() => resolveOpenAIProviderOptions({ env: {} })).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
    expect(() =>
      resolveOpenAIProviderOptions({ apiKey: 'secret-key-999', baseURL: 'not a url', env: {} }),
    ).toThrow(/baseURL is not a URL/);
    expect(() => resolveOpenAIProviderOptions({ apiKey: 'secret-key-999', timeoutMs: 0, env: {} })).toThrow(
      /timeoutMs/,
    );
    expect(() =>
      createOpenAIProvider({ apiKey: 'secret-key-999', webhookSecret: 'whsec_***', env: {} }),
    ).toThrow(/not a valid whsec_/);
  });
});
