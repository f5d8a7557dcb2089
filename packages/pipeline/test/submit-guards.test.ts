import { type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type PipelineContext, enqueueGeneration, processSubmit } from '../src/index.ts';
import { type InProcess, startInProcess } from './helpers/in-process.ts';

// The submit stage's two guards against paying twice that no end-to-end run trips by chance: the lock
// fence before the create, and the Idempotency-Key a create carries. Each runs the real stage code in
// this process against a real Redis and the simulator over HTTP, through the real openai SDK.

interface SimStats {
  createRequests: number;
  videosCreated: number;
  idempotentReplays: number;
}

let env: InProcess;
beforeAll(async () => {
  env = await startInProcess('guards');
});
afterEach(() => env.cleanup());
afterAll(() => env.stop());

/** Enqueues one generation and takes its submit job as a worker would: active, locked with `token`. */
async function takeSubmitJob(ctx: PipelineContext, token: string) {
  const { id } = await enqueueGeneration(ctx, { prompt: `guarded ${token}`, seconds: '4' });
  const { job, worker } = await env.take(ctx, 'submit', token);
  if (job.id !== id) throw new Error(`expected the submit job of ${id}, got ${job.id}`);
  return { id, job, worker };
}

describe('submit: the guards that keep one generation from paying twice', () => {
  it('sends no create from a run whose lock another worker holds (the fence before the create)', async () => {
    const ctx = env.context();
    const { id, job, worker } = await takeSubmitJob(ctx, 'holder');
    // A run whose lock lapsed: the job is locked by another token now (it was handed to another worker).
    await expect(processSubmit(ctx, job, 'lapsed', worker)).rejects.toMatchObject({
      code: 'transient',
      message: expect.stringContaining('lost the submit lock'),
    });
    expect((await env.sim.stats<SimStats>()).createRequests).toBe(0);
    // The holder of the live lock goes ahead and pays, once.
    await processSubmit(ctx, job, 'holder', worker);
    expect((await env.sim.stats<SimStats>()).createRequests).toBe(1);
    expect((await ctx.store.get(id))?.status).toBe('generating');
  });

  it('sends the same Idempotency-Key again when a create reply was lost and the list does not show the video yet', async () => {
    // A provider whose list lags behind its creates, and a network that loses the first create's reply
    // after the provider billed it: reconciliation finds nothing, so only the key stands between the
    // retry and a second paid video.
    const proxy = await startProxy(env.sim.url);
    onTestFinished(() => proxy.close());
    const ctx = env.context(`${proxy.url}/v1`);
    const { id, job, worker } = await takeSubmitJob(ctx, 'only');

    await expect(processSubmit(ctx, job, 'only', worker)).rejects.toMatchObject({ code: 'transient' });
    expect((await ctx.store.get(id))?.timings.submitIntentAt).toBeGreaterThan(0); // outcome unknown: intent kept
    await processSubmit(ctx, job, 'only', worker);

    expect(proxy.createKeys).toEqual([id, id]); // round 0's key is the generation id
    expect(proxy.listsAnswered).toBeGreaterThan(0); // the retry did look before creating again
    const stats = await env.sim.stats<SimStats>();
    expect(stats.createRequests).toBe(2);
    expect(stats.videosCreated).toBe(1);
    expect(stats.idempotentReplays).toBe(1);
    expect((await ctx.store.get(id))?.status).toBe('generating');
  });
});

interface Proxy {
  url: string;
  /** `Idempotency-Key` of every create that went through, in order. */
  createKeys: Array<string | undefined>;
  /** List requests answered (with an empty page) instead of forwarded. */
  listsAnswered: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the simulator: forwards every request, except that it drops the reply of
 * the first create after the simulator answered it (the connection is destroyed) and answers list
 * requests with an empty page, as a provider whose list is eventually consistent would for a moment.
 */
async function startProxy(target: string): Promise<Proxy> {
  const state: Proxy = { url: '', createKeys: [], listsAnswered: 0, close: async () => {} };
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    if (req.method === 'GET' && /^\/v1\/videos(\?|$)/.test(path)) {
      state.listsAnswered++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [], first_id: null, last_id: null, has_more: false }));
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers.set(k, v);
    }
    const isCreate = req.method === 'POST' && path === '/v1/videos';
    if (isCreate) state.createKeys.push(req.headers['idempotency-key'] as string | undefined);
    const upstream = await fetch(`${target}${path}`, {
      method: req.method ?? 'GET',
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (isCreate && state.createKeys.length === 1) {
      req.socket.destroy(); // billed upstream, reply lost on the way back
      return;
    }
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
    });
    res.end(body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
