import { Validator } from '@seriousme/openapi-schema-validator';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProducerApi, startProducerApi } from './producer-harness.ts';

let fixture: RedisFixture;
let api: ProducerApi;
beforeAll(async () => {
  fixture = await startRedis();
  api = await startProducerApi(fixture);
});
afterAll(async () => {
  await api?.stop();
  await fixture?.stop();
});

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
  components: {
    schemas: Record<string, { properties?: Record<string, { enum?: string[] }>; required?: string[] }>;
  };
};

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (checked against the official schema), served without a key', async () => {
    const res = await api.call('GET', '/openapi.json', { key: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents the request body from the schema the route enforces', async () => {
    const doc = (await (await api.call('GET', '/openapi.json', { key: null })).json()) as Doc;
    const body = doc.components.schemas['GenerationCreateBody']!;
    expect(body.required).toEqual(['prompt']);
    expect(body.properties?.['size']?.enum).toContain('1280x720');
    // A value the document's enum lacks is refused by the route.
    const refused = await api.call('POST', '/v1/generations', { body: { prompt: 'a', size: '640x480' } });
    expect(refused.status).toBe(400);
  });

  it('lists every producer route, and each one exists and answers (not a route-level 404)', async () => {
    const doc = (await (await api.call('GET', '/openapi.json', { key: null })).json()) as Doc;
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
    );
    expect(operations).toHaveLength(7);
    const unknownId = `gen_${'0'.repeat(24)}`;
    for (const [method, path] of operations) {
      expect(api.app.hasRoute({ method, url: path.replace(/\{(\w+)\}/g, ':$1') }), `${method} ${path}`).toBe(
        true,
      );
      const url = path.replace('{id}', unknownId);
      const res = await api.call(method, url, method === 'POST' ? { body: {} } : {});
      const body = (await res.json()) as { error?: { message: string } };
      expect(body.error?.message ?? '', `${method} ${path}`).not.toMatch(/^no route/);
    }
    const missing = await api.call('GET', '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/^no route/);
  });
});
