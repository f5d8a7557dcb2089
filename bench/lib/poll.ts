import type { BenchOptions } from './bench-options.ts';
import type { GenerationRecord } from './deps.ts';
import { type PollRequest, runFixedPoller } from './fixed-poller.ts';
import { type ProviderTimes, providerTimes } from './provider-clock.ts';
import { type Stack, startStack, trackStored } from './reelay-stack.ts';
import { mean, percentile } from './stats.ts';

/** Realistic clips: the simulator's duration model draws each from its own log-normal. */
function pollRequests(count: number): PollRequest[] {
  const seconds = ['4', '8', '12'] as const;
  return Array.from({ length: count }, (_, i) => ({
    prompt: `poll bench clip ${i}`,
    model: 'sora-2',
    seconds: seconds[i % seconds.length]!,
    size: '720x1280',
  }));
}

interface Observed {
  record: GenerationRecord;
  times: ProviderTimes;
}

/**
 * Polls per video and detection delay with realistic, time-scaled generation times: Reelay poll-only,
 * the seed's fixed 10 s poller against the same simulator, and Reelay with provider webhooks.
 */
export async function measurePoll(options: BenchOptions): Promise<Record<string, number>> {
  const scale = options.pollScale;
  const requests = pollRequests(options.pollCount);
  const figures: Record<string, number> = {};

  const pollOnly = await startPollStack(options, false);
  try {
    const { observed, retrieves } = await runThrough(pollOnly, requests, options);
    figures['poll.polls_per_video'] = retrieves / requests.length;
    figures['poll.detection_delay_ratio'] = mean(
      observed.map(({ record, times }) => delayRatio(record.timings.downloadStartedAt!, times)),
    );
    figures['poll.completion_uncertainty_ms'] = mean(observed.map(({ times }) => times.uncertaintyMs));

    // The seed's polling, same simulator, same requests, same scale. (No reset: it would hand out the
    // same video ids again, which the record store already maps to generations.)
    const before = await retrieveRequests(pollOnly);
    const fixed = await runFixedPoller(pollOnly.sim, pollOnly.seed, scale, requests);
    figures['poll.fixed_polls_per_video'] = ((await retrieveRequests(pollOnly)) - before) / requests.length;
    figures['poll.fixed_detection_delay_ratio'] = mean(fixed.map((f) => delayRatio(f.seenAt, f.times)));
    // In provider time (wall ms × scale): what the seed's users wait, comparable with a real webhook.
    figures['poll.fixed_detection_p99_ms'] =
      percentile(
        fixed.map((f) => f.seenAt - f.times.completedAt),
        99,
      ) * scale;
  } finally {
    await pollOnly.close();
  }

  const withWebhooks = await startPollStack(options, true);
  try {
    const { observed, retrieves } = await runThrough(withWebhooks, requests, options);
    figures['poll.polls_per_video_webhooks'] = retrieves / requests.length;
    figures['poll.webhook_detection_p99_ms'] = percentile(
      observed.map(({ record, times }) => record.timings.generatedAt! - times.completedAt),
      99,
    );
  } finally {
    await withWebhooks.close();
  }
  return figures;
}

/** Provider completion → the moment we acted on it, as a fraction of the provider's generation time. */
function delayRatio(actedAt: number, times: ProviderTimes): number {
  return (actedAt - times.completedAt) / (times.completedAt - times.createdAt);
}

function startPollStack(options: BenchOptions, webhooks: boolean): Promise<Stack> {
  return startStack({
    // 16 KiB: the content is not what is measured here; a small body keeps downloads out of the way.
    sim: { timeScale: options.pollScale, videoBytes: 16 * 1024 },
    processes: ['submit', 'poll', 'download'],
    workerEnv: {
      REELAY_PROVIDER_TIME_SCALE: String(options.pollScale),
      REELAY_SUBMIT_CONCURRENCY: String(options.concurrency.submit),
      REELAY_POLL_CONCURRENCY: String(options.concurrency.poll),
      REELAY_DOWNLOAD_CONCURRENCY: String(options.concurrency.download),
    },
    webhooks,
  });
}

async function retrieveRequests(stack: Stack): Promise<number> {
  return (await stack.sim.stats<{ retrieveRequests: number }>()).retrieveRequests;
}

/**
 * A small unmeasured batch first (cold processes are slow on their first calls), then the requests:
 * waits until every generation is stored; returns the records with provider times, and the retrieves
 * the simulator served for them.
 */
async function runThrough(
  stack: Stack,
  requests: PollRequest[],
  options: BenchOptions,
): Promise<{ observed: Observed[]; retrieves: number }> {
  await pushAll(stack, requests.slice(0, options.pollWarmupCount), options);
  const before = await retrieveRequests(stack);
  const records = await pushAll(stack, requests, options);
  const retrieves = (await retrieveRequests(stack)) - before;
  const observed = records.map((record) => {
    if (!record.providerVideoId || record.timings.submitIntentAt === undefined) {
      throw new Error(`generation ${record.id} has no provider video or submit timings`);
    }
    const { submitIntentAt, submittedAt } = record.timings;
    const times = providerTimes(stack.seed, options.pollScale, record.providerVideoId, record.request, [
      submitIntentAt,
      submittedAt ?? submitIntentAt,
    ]);
    return { record, times };
  });
  return { observed, retrieves };
}

async function pushAll(
  stack: Stack,
  requests: PollRequest[],
  options: BenchOptions,
): Promise<GenerationRecord[]> {
  const tracker = await trackStored(stack, requests.length, options.runTimeoutMs);
  try {
    const ids = await stack.enqueue(
      requests.map(({ prompt, seconds }) => ({ prompt, seconds: seconds as '4' | '8' | '12' })),
    );
    await tracker.done;
    const records = await Promise.all(ids.map((id) => stack.store.get(id)));
    return records.map((record, i) => {
      if (!record) throw new Error(`generation ${ids[i]} vanished`);
      return record;
    });
  } finally {
    await tracker.close();
  }
}
