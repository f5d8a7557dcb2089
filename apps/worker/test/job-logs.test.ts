import { enqueueGeneration, resolvePipelineOptions } from '@reelay/pipeline';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CALLBACK_ENV, type CallbackReceiver, startCallbackReceiver } from './callback-receiver.ts';
import { type Harness, createHarness } from './harness.ts';

// An operator follows one generation by grepping its id: every line a stage job writes must also say
// which provider video, which stage and which attempt it is about. Every stage runs in its own worker
// process (each also delivering callbacks), against a provider answering 5xx now and then (retries,
// failed job attempts) and then failing a video outright (a resubmit, a failed generation and its
// failure callback): the warn and error lines are the ones read in an incident.

const WORKER_ENV = { ...CALLBACK_ENV, REELAY_MAX_RESUBMITS: '1' };
const STAGES = ['submit', 'poll', 'download', 'notify'];
const JOB_FIELDS = ['generationId', 'providerVideoId', 'stage', 'attempt'];
/** Submit lines written once the provider has given a video id (before it, the id cannot be known). */
const SUBMIT_AFTER_CREATE = ['submitted to provider', 'reconciled an earlier create'];

interface JobLine {
  raw: string;
  msg: string;
  level: number;
  generationId: string;
  providerVideoId?: string;
  stage?: string;
  attempt?: unknown;
  status?: string;
  [key: string]: unknown;
}

let h: Harness | undefined;
let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await receiver?.close();
  receiver = undefined;
});

function jobLines(lines: string[]): JobLine[] {
  const out: JobLine[] = [];
  for (const raw of lines) {
    if (!raw.startsWith('{')) continue;
    const line = JSON.parse(raw) as Record<string, unknown>;
    if (typeof line['generationId'] === 'string') out.push({ ...line, raw } as JobLine);
  }
  return out;
}

function needsVideoId(line: JobLine): boolean {
  if (line.stage !== 'submit') return true;
  return (
    SUBMIT_AFTER_CREATE.includes(line.msg) ||
    (line.msg === 'stage transition' && line.status === 'generating')
  );
}

describe('stage job log lines', () => {
  it('carry generationId, providerVideoId, stage and attempt on every line, warn and error included', async () => {
    receiver = await startCallbackReceiver();
    const { url, deliveries } = receiver;
    // The harness's simulator seed draws a 5xx for the very first provider request (a create), so a
    // failed attempt and its retry happen on every run, more at random after it.
    h = await createHarness({ serverErrorRate: 0.3 }, WORKER_ENV);
    const harness = h;
    const workers = await Promise.all(['submit', 'poll', 'download'].map((s) => harness.start(s)));
    const producer = { store: h.store, queues: h.queues, options: resolvePipelineOptions() };
    const enqueue = async (prompt: string) =>
      (await enqueueGeneration(producer, { prompt, seconds: '4' }, { callbackUrl: url })).id;

    const ok = await h.waitAll([await enqueue('clip a'), await enqueue('clip b'), await enqueue('clip c')]);
    const outcome = (r: { status: string; error?: { code: string; message: string } | null }) =>
      r.status === 'completed' ? r.status : `${r.status}: ${r.error?.code} ${r.error?.message}`;
    expect(ok.map(outcome)).toEqual(['completed', 'completed', 'completed']);
    // Now the provider fails every video: resubmitted once, then failed, with its failure callback.
    await h.sim.configure({ serverErrorRate: 0, failureRate: 1, failureCode: 'internal_error' });
    const [failed] = await h.waitAll([await enqueue('clip d')]);
    expect(failed?.error?.code).toBe('provider_failed');
    await waitFor(() => deliveries.length === 4, { timeoutMs: 20_000, message: 'four callbacks delivered' });
    // Stopped first, so every line (the stage-end lines come after the job) has been written.
    await Promise.all(workers.map((w) => w.stop()));

    const lines = jobLines(workers.flatMap((w) => w.lines));
    const offenders = lines.filter(
      (l) =>
        !STAGES.includes(l.stage ?? '') ||
        !Number.isInteger(l.attempt) ||
        (l.attempt as number) < 1 ||
        (needsVideoId(l) && typeof l.providerVideoId !== 'string') ||
        // One name for the provider's id, and each field once (a child logger and a line both
        // setting it would print the key twice).
        'videoId' in l ||
        JOB_FIELDS.some((k) => l.raw.split(`"${k}":`).length > 2),
    );
    expect(offenders.map((l) => l.raw)).toEqual([]);

    // The run really went through every stage and wrote the lines this is about.
    expect(new Set(lines.map((l) => l.stage))).toEqual(new Set(STAGES));
    const messages = new Set(lines.map((l) => l.msg));
    for (const msg of [
      'submitted to provider',
      'generated; handing on to download',
      'stored video',
      'callback delivered',
      'stage failed; will retry',
      'job failed',
      'provider failed the video; resubmitting',
      'generation failed',
    ]) {
      expect(messages, msg).toContain(msg);
    }
    expect(lines.some((l) => l.level === 40)).toBe(true);
    expect(lines.some((l) => l.level === 50)).toBe(true);
    // The id on a download line is the video that was stored.
    for (const record of ok) {
      const stored = lines.find((l) => l.msg === 'stored video' && l.generationId === record.id);
      expect(stored?.providerVideoId).toBe(record.providerVideoId);
    }
  }, 60_000);
});
