import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { GenerationStore, createLogger, newGenerationId } from '@reelay/core';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyProcessor } from '../src/index.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NAME = 'hooks.producer.test';

let redis: RedisFixture;
let connection: Redis;
let server: https.Server;
let port: number;
let cert: string;
const received: Array<{
  servername: string | false | null;
  host: string | undefined;
  body: string;
  headers: Record<string, string>;
}> = [];

beforeAll(async () => {
  // A certificate valid for NAME only: a delivery that verifies it must have sent NAME as SNI and
  // checked the certificate against NAME, while connecting to 127.0.0.1.
  const dir = mkdtempSync(join(tmpdir(), 'reelay-notify-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${NAME}`,
      '-addext',
      `subjectAltName=DNS:${NAME}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  rmSync(dir, { recursive: true });

  server = https.createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        servername: (req.socket as TLSSocket).servername,
        host: req.headers.host,
        body: Buffer.concat(chunks).toString('utf8'),
        headers: Object.fromEntries(
          ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h])]),
        ),
      });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  connection.disconnect();
  await redis.stop();
});

async function notifyingGeneration() {
  const prefix = redis.prefix('notify-https');
  const store = new GenerationStore(connection, prefix);
  const queue = new Queue('notify', { connection, prefix });
  const id = newGenerationId();
  await store.create({
    id,
    tenant: 'acme',
    provider: 'sim',
    callbackUrl: `https://${NAME}:${port}/cb`,
    request: { prompt: 'a red fox', model: 'sora-2', seconds: '4', size: '720x1280', thumbnail: false },
  });
  await store.update(id, { timings: { completedAt: Date.now() } }, { status: 'notifying' });
  const job = await queue.add('notify', { generationId: id }, { jobId: id, attempts: 5 });
  await queue.close();
  const logger = createLogger({ name: 'notify-https-test', format: 'json', level: 'silent' });
  return { id, store, job, ctx: { store, logger } };
}

const lookup = async () => [{ address: '127.0.0.1', family: 4 }];

describe('notify over https', () => {
  it('connects to the checked address with SNI and certificate check on the original name', async () => {
    const { id, store, job, ctx } = await notifyingGeneration();
    const run = createNotifyProcessor({
      secretFor: () => SECRET,
      policy: { allow: ['127.0.0.1'] },
      tlsCa: [cert],
      lookup,
    });
    await run(ctx, job);
    const delivery = received.at(-1)!;
    expect(delivery.servername).toBe(NAME);
    expect(delivery.host).toBe(`${NAME}:${port}`);
    expect(new Webhook(SECRET).verify(delivery.body, delivery.headers)).toMatchObject({ id });
    expect((await store.get(id))?.status).toBe('completed');
  });

  it('refuses a receiver whose certificate is not trusted, as a retryable failure', async () => {
    const { id, store, job, ctx } = await notifyingGeneration();
    const before = received.length;
    const run = createNotifyProcessor({ secretFor: () => SECRET, policy: { allow: ['127.0.0.1'] }, lookup });
    const attempt = run(ctx, job);
    await expect(attempt).rejects.toMatchObject({ code: 'transient', retryable: true });
    await expect(attempt).rejects.toThrow(/SELF_SIGNED_CERT/);
    expect(received.length).toBe(before);
    expect((await store.get(id))?.status).toBe('notifying');
  });
});
