import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  type GenerationRecord,
  GenerationStore,
  createLogger,
  newGenerationId,
  serializeError,
  ReelayError,
} from '@reelay/core';
import { type RedisFixture, startRedis, waitFor } from '@reelay/testing';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallbackPayload,
  type NotifyOptionsInput,
  createNotifyProcessor,
  enqueueNotify,
} from '../src/index.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_dGhpcyBpcyBhbm90aGVyIHRlbmFudHM=';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A producer's callback receiver on 127.0.0.1: records every request, answers from a script. */
async function startReceiver(answer: (n: number, res: http.ServerResponse) => void = (_n, res) => res.end()) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(received.length, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const receiver = {
    received,
    port,
    url: `http://127.0.0.1:${port}/hooks/reelay?src=test`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  receivers.push(receiver);
  return receiver;
}

let redis: RedisFixture;
let connection: Redis;
const receivers: Array<{ close(): Promise<void> }> = [];
const queues: Queue[] = [];

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await Promise.all(queues.splice(0).map((q) => q.close()));
});
afterAll(async () => {
  connection.disconnect();
  await redis.stop();
});

function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'notify-test', format: 'json', level: 'info', destination }) };
}

/** A fresh store and notify queue under their own prefix, and a generation in the given end state. */
async function setup(options: { status: 'notifying' | 'failed'; callbackUrl: string; tenant?: string }) {
  const prefix = redis.prefix('notify');
  const store = new GenerationStore(connection, prefix);
  const queue = new Queue('notify', { connection, prefix });
  queues.push(queue);
  const { lines, logger } = logSink();
  const id = newGenerationId();
  await store.create({
    id,
    tenant: options.tenant ?? 'acme',
    provider: 'sim',
    callbackUrl: options.callbackUrl,
    metadata: { campaign: 'spring' },
    request: { prompt: 'a red fox', model: 'sora-2', seconds: '4', size: '720x1280', thumbnail: false },
  });
  if (options.status === 'notifying') {
    await store.update(
      id,
      {
        progress: 100,
        storage: { uri: `file:///videos/${id}.mp4`, key: `${id}.mp4`, bytes: 1234, sha256: 'ab'.repeat(32) },
        timings: { completedAt: Date.now() },
      },
      { status: 'notifying' },
    );
  } else {
    const error = new ReelayError('content_policy', 'the prompt was refused by moderation');
    await store.update(
      id,
      { error: serializeError(error), timings: { completedAt: Date.now() } },
      { status: 'failed' },
    );
  }
  const ctx = { store, logger };
  const addJob = (attempts = 20): Promise<Job> =>
    queue.add('notify', { generationId: id }, { jobId: id, attempts, backoff: { type: 'fixed', delay: 20 } });
  return { id, prefix, store, queue, ctx, lines, addJob };
}

function processor(extra: Partial<NotifyOptionsInput> = {}) {
  return createNotifyProcessor({
    secretFor: (tenant) => ({ acme: SECRET, globex: OTHER_SECRET })[tenant],
    policy: { allow: ['127.0.0.1'], allowHttp: true },
    ...extra,
  });
}

function verify(request: Received, secret = SECRET): CallbackPayload {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(request.body, headers) as CallbackPayload;
}

describe('notify stage', () => {
  it('delivers a completion callback that verifies with standardwebhooks and the tenant secret', async () => {
    const receiver = await startReceiver();
    const { id, store, ctx, addJob } = await setup({ status: 'notifying', callbackUrl: receiver.url });
    await processor()(ctx, await addJob());

    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0]!;
    const payload = verify(request);
    expect(payload).toMatchObject({
      type: 'generation.completed',
      id,
      data: {
        id,
        status: 'completed',
        tenant: 'acme',
        request: { prompt: 'a red fox', model: 'sora-2' },
        storage: { uri: `file:///videos/${id}.mp4`, bytes: 1234, sha256: 'ab'.repeat(32) },
        metadata: { campaign: 'spring' },
      },
    });
    expect(Date.parse(payload.created_at)).not.toBeNaN();
    expect(request.headers['webhook-id']).toBe(`${id}.completed`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).not.toContain('whsec_');
    // Another tenant's secret does not verify it.
    expect(() => verify(request, OTHER_SECRET)).toThrow();

    const record = (await store.get(id)) as GenerationRecord;
    expect(record.status).toBe('completed');
    expect(record.attempts.notify).toBe(1);
  });

  it('retries a receiver answering 500 with backoff and delivers, with the same webhook-id each time', async () => {
    const receiver = await startReceiver((n, res) => {
      res.statusCode = n === 1 ? 500 : 200;
      res.end();
    });
    const { id, prefix, store, ctx, addJob } = await setup({
      status: 'notifying',
      callbackUrl: receiver.url,
    });
    const run = processor();
    const worker: Worker = new Worker('notify', (job, token) => run(ctx, job, token, worker), {
      connection,
      prefix,
    });
    try {
      await addJob();
      await waitFor(async () => (await store.get(id))?.status === 'completed', { message: 'delivered' });
    } finally {
      await worker.close();
    }
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [Received, Received];
    expect(first.headers['webhook-id']).toBe(`${id}.completed`);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    expect(verify(second).id).toBe(id);
    expect((await store.get(id))?.attempts.notify).toBe(2);
  });

  it('sends nothing when the job runs again after a delivery', async () => {
    const receiver = await startReceiver();
    const { ctx, addJob } = await setup({ status: 'notifying', callbackUrl: receiver.url });
    const run = processor();
    const job = await addJob();
    await run(ctx, job);
    await run(ctx, job);
    expect(receiver.received).toHaveLength(1);
  });

  it('sends the same webhook-id for a failed generation whenever its job runs, and keeps it failed', async () => {
    const receiver = await startReceiver();
    const { id, store, ctx, addJob } = await setup({ status: 'failed', callbackUrl: receiver.url });
    const run = processor();
    const job = await addJob();
    await run(ctx, job);
    await run(ctx, job); // at-least-once: a re-run re-sends, and the producer dedupes on webhook-id
    expect(receiver.received).toHaveLength(2);
    const payload = verify(receiver.received[0]!);
    expect(payload).toMatchObject({
      type: 'generation.failed',
      data: {
        status: 'failed',
        error: { code: 'content_policy', message: 'the prompt was refused by moderation' },
      },
    });
    expect(payload.data.storage).toBeUndefined();
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([`${id}.failed`, `${id}.failed`]);
    const record = (await store.get(id)) as GenerationRecord;
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('content_policy');
  });

  it('does not follow a redirect: the target receives nothing and the attempt is retried', async () => {
    const target = await startReceiver();
    const redirecting = await startReceiver((_n, res) => {
      res.writeHead(302, { location: target.url });
      res.end();
    });
    const { id, store, ctx, addJob } = await setup({ status: 'notifying', callbackUrl: redirecting.url });
    const attempt = processor()(ctx, await addJob());
    await expect(attempt).rejects.toThrow(/answered HTTP 302 \(redirects are not followed\)/);
    await expect(attempt).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(redirecting.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
    expect((await store.get(id))?.status).toBe('notifying');
  });

  it('gives up past the retry window without changing the generation outcome, and says so loudly', async () => {
    const receiver = await startReceiver((_n, res) => {
      res.statusCode = 503;
      res.end();
    });
    const { id, store, ctx, lines, addJob } = await setup({ status: 'notifying', callbackUrl: receiver.url });
    const attempt = processor({ maxAgeMs: 0 })(ctx, await addJob());
    await expect(attempt).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(attempt).rejects.toThrow(/past the retry window.*HTTP 503/);
    const record = (await store.get(id)) as GenerationRecord;
    expect(record.status).toBe('completed');
    expect(record.storage?.bytes).toBe(1234);
    expect(record.error).toBeUndefined();
    const abandoned = lines.find((l) => String(l['msg']).includes('callback abandoned'));
    // Run directly, not by a stage worker, it still carries the job's fields.
    expect(abandoned).toMatchObject({ level: 50, generationId: id, stage: 'notify', attempt: 1 });
    expect(JSON.stringify(lines)).not.toContain('whsec_');
  });

  it('gives up at once on a callback URL aimed at the metadata service', async () => {
    const receiver = await startReceiver();
    const { id, store, ctx, addJob } = await setup({
      status: 'notifying',
      callbackUrl: 'http://169.254.169.254/latest/meta-data',
    });
    const attempt = processor()(ctx, await addJob());
    await expect(attempt).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(attempt).rejects.toThrow(/not retryable.*cloud metadata address/);
    expect(receiver.received).toHaveLength(0);
    expect((await store.get(id))?.status).toBe('completed');
  });

  it('connects to the address it checked, keeping the original Host', async () => {
    const receiver = await startReceiver();
    const callbackUrl = `http://hooks.producer.test:${receiver.port}/cb`;
    const { id, store, ctx, addJob } = await setup({ status: 'notifying', callbackUrl });
    // No resolver knows hooks.producer.test: the request can only arrive if it goes to the checked address.
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    await processor({ lookup })(ctx, await addJob());
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.headers.host).toBe(`hooks.producer.test:${receiver.port}`);
    expect((await store.get(id))?.status).toBe('completed');
  });

  it('refuses to send unsigned: a tenant without a secret has its callback abandoned', async () => {
    const receiver = await startReceiver();
    const { ctx, addJob } = await setup({
      status: 'notifying',
      callbackUrl: receiver.url,
      tenant: 'initech',
    });
    await expect(processor()(ctx, await addJob())).rejects.toThrow(
      /no callback signing secret for tenant initech/,
    );
    expect(receiver.received).toHaveLength(0);
  });

  it('times out a receiver that never answers, as a retryable failure', async () => {
    const receiver = await startReceiver(() => {
      // never answers
    });
    const { ctx, addJob } = await setup({ status: 'notifying', callbackUrl: receiver.url });
    const attempt = processor({ timeoutMs: 300 })(ctx, await addJob());
    await expect(attempt).rejects.toMatchObject({ code: 'transient', retryable: true });
    await expect(attempt).rejects.toThrow(/timed out after 300 ms/);
  });

  it('enqueueNotify adds one job for a failed generation with a callback URL, none without', async () => {
    const receiver = await startReceiver();
    const { id, store, queue } = await setup({ status: 'failed', callbackUrl: receiver.url });
    const ctx = { store, queues: { notify: queue } };
    expect(await enqueueNotify(ctx, id)).toBe(true);
    expect(await enqueueNotify(ctx, id)).toBe(true);
    expect(await queue.getJobCounts('wait')).toEqual({ wait: 1 });
    expect((await queue.getJob(id))?.data).toEqual({ generationId: id });

    const other = newGenerationId();
    await store.create({
      id: other,
      tenant: 'acme',
      provider: 'sim',
      request: { prompt: 'no callback', model: 'sora-2', seconds: '4', size: '720x1280', thumbnail: false },
    });
    await store.update(other, {}, { status: 'failed' });
    expect(await enqueueNotify(ctx, other)).toBe(false);
    expect(await queue.getJobCounts('wait')).toEqual({ wait: 1 });
  });
});
