import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { enqueueGeneration, resolvePipelineOptions } from '@reelay/pipeline';
import { waitFor } from '@reelay/testing';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, createHarness } from './harness.ts';

// Completion and failure callbacks end to end: every stage in its own worker process, each with the
// signing secret (so each also runs the notify stage), a receiver on 127.0.0.1 (allowed by the callback policy, as an
// internal receiver would be) that checks each delivery with the standardwebhooks library.

const SECRET = `whsec_${Buffer.from('worker-callbacks-test-secret-0123').toString('base64')}`;
const CALLBACK_ENV = {
  REELAY_CALLBACK_SECRET: SECRET,
  REELAY_CALLBACK_ALLOW: '127.0.0.1',
  REELAY_CALLBACK_ALLOW_HTTP: 'true',
};

interface Delivery {
  headers: IncomingHttpHeaders;
  payload: { type: string; data: { id: string; status: string; error?: { code: string } } };
}

let h: Harness | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  receiver = undefined;
});

async function startReceiver(): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const verifier = new Webhook(SECRET);
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      // A bad signature throws: the delivery is answered 400 and not counted.
      try {
        const payload = verifier.verify(body, req.headers as Record<string, string>) as Delivery['payload'];
        deliveries.push({ headers: req.headers, payload });
        res.end('ok');
      } catch {
        res.statusCode = 400;
        res.end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, deliveries };
}

describe('callbacks, end to end', () => {
  it('sends one signed generation.completed for a stored video and one generation.failed for a failed one', async () => {
    const { url, deliveries } = await startReceiver();
    h = await createHarness({}, CALLBACK_ENV);
    const harness = h;
    await Promise.all(['submit', 'poll', 'download'].map((stage) => harness.start(stage)));
    const producer = { store: h.store, queues: h.queues, options: resolvePipelineOptions() };

    const ok = await enqueueGeneration(
      producer,
      { prompt: 'a callback clip', seconds: '4' },
      { callbackUrl: url },
    );
    const [completed] = await h.waitAll([ok.id]);
    expect(completed?.status).toBe('completed');

    // The provider now refuses every video for content policy: a final failure, with its callback.
    await h.sim.configure({ failureRate: 1, failureCode: 'moderation_blocked' });
    const bad = await enqueueGeneration(
      producer,
      { prompt: 'a refused clip', seconds: '4' },
      { callbackUrl: url },
    );
    const [failed] = await h.waitAll([bad.id]);
    expect(failed?.status).toBe('failed');
    await waitFor(() => deliveries.some((d) => d.payload.data.id === bad.id), {
      timeoutMs: 20_000,
      message: 'the failure callback',
    });

    const byId = (id: string) => deliveries.filter((d) => d.payload.data.id === id);
    expect(byId(ok.id).map((d) => d.payload.type)).toEqual(['generation.completed']);
    expect(byId(ok.id)[0]?.headers['webhook-id']).toBe(`${ok.id}.completed`);
    expect(byId(bad.id).map((d) => d.payload.type)).toEqual(['generation.failed']);
    expect(byId(bad.id)[0]?.payload.data).toMatchObject({
      status: 'failed',
      error: { code: 'content_policy' },
    });
    expect(byId(bad.id)[0]?.headers['webhook-id']).toBe(`${bad.id}.failed`);
    expect((await h.store.get(bad.id))?.attempts.notify).toBe(1);
  });
});
