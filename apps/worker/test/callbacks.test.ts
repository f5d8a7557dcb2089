import { enqueueGeneration, resolvePipelineOptions } from '@reelay/pipeline';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CALLBACK_ENV, type CallbackReceiver, startCallbackReceiver } from './callback-receiver.ts';
import { type Harness, createHarness } from './harness.ts';

// Completion and failure callbacks end to end: every stage in its own worker process, each with the
// signing secret (so each also runs the notify stage), and a receiver that checks each delivery's
// signature (callback-receiver.ts).

let h: Harness | undefined;
let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await receiver?.close();
  receiver = undefined;
});

async function startReceiver(): Promise<CallbackReceiver> {
  receiver = await startCallbackReceiver();
  return receiver;
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
