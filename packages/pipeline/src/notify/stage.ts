import { type GenerationRecord, ReelayError, jobSchemas } from '@reelay/core';
import { type Job, UnrecoverableError, type Worker } from 'bullmq';
import { type PipelineContext, forJob } from '../context.ts';
import { postCallback } from './deliver.ts';
import { type NotifyOptionsInput, resolveNotifyOptions } from './notify-options.ts';
import {
  type CallbackEvent,
  buildCallbackPayload,
  createSigner,
  signCallback,
  webhookIdFor,
} from './sign.ts';
import { checkCallbackUrl } from './ssrf.ts';

/** What the notify stage reads from the pipeline context. */
export type NotifyContext = Pick<PipelineContext, 'store' | 'logger'>;

export type NotifyProcessor = (
  ctx: NotifyContext,
  job: Job,
  token?: string,
  worker?: Worker,
) => Promise<void>;

/**
 * notify: one signed POST per attempt to the producer's callback URL.
 * - `notifying` record → `generation.completed`; a 2xx moves it to `completed`.
 * - `failed` record with a callback URL → `generation.failed`; the status stays `failed`.
 * - A non-2xx (3xx included: redirects are not followed), a timeout or a connection error is retried
 *   with the queue's backoff while the generation ended less than `maxAgeMs` ago and attempts remain.
 * - Then — or at once for an SSRF refusal or a tenant without a secret — the callback is abandoned:
 *   logged as an error, the job fails without retries, and the generation keeps its own outcome (a
 *   stored video is `completed` even though the producer was not told).
 * Other statuses (already completed, cancelled) are left alone, so a job that runs again after
 * success sends nothing. The error is never written to the record: it describes the generation.
 */
export function createNotifyProcessor(input: NotifyOptionsInput): NotifyProcessor {
  const options = resolveNotifyOptions(input);

  return async (pipeline, job) => {
    const ctx = forJob(pipeline, 'notify', job);
    const { generationId } = jobSchemas.notify.parse(job.data);
    const record = await ctx.store.get(generationId);
    const event = record ? eventFor(record) : undefined;
    if (!record || !event || record.callbackUrl === undefined) return;
    // The job carries only the generation id; the video is the record's.
    if (record.providerVideoId) ctx.bindVideo(record.providerVideoId);
    const webhookId = webhookIdFor(generationId, event);
    // The record's count of sends (a run after a crash counts too), not BullMQ's `attempt` the job's
    // logger puts on every line.
    const delivery = record.attempts.notify + 1;
    await ctx.store.update(generationId, { attempts: { notify: delivery } }, { from: [record.status] });
    const log = { webhookId, delivery };

    try {
      const secret = options.secretFor(record.tenant);
      if (secret === undefined) {
        throw new ReelayError('config_invalid', `no callback signing secret for tenant ${record.tenant}`);
      }
      const target = await checkCallbackUrl(record.callbackUrl, options.policy, { lookup: options.lookup });
      const body = JSON.stringify(buildCallbackPayload(record, event));
      const headers = signCallback(createSigner(secret), webhookId, body);
      const startedAt = Date.now();
      const status = await postCallback(target, body, headers, options);
      if (status < 200 || status > 299) {
        const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
        throw new ReelayError(
          'transient',
          `callback to ${target.url.host} answered HTTP ${status}${redirect}`,
          {
            retryable: true,
            details: { statusCode: status },
          },
        );
      }
      await settle(ctx, record);
      ctx.logger.info({ ...log, event, status, ms: Date.now() - startedAt }, 'callback delivered');
    } catch (error) {
      const err =
        error instanceof ReelayError
          ? error
          : new ReelayError('internal', (error as Error).message, { retryable: true, cause: error });
      const endedAt = record.timings.completedAt ?? record.timings.updatedAt;
      const expired = Date.now() - endedAt >= options.maxAgeMs;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (err.retryable && !expired && !lastAttempt) {
        ctx.logger.warn({ ...log, code: err.code, err: err.message }, 'callback failed; will retry');
        throw err;
      }
      await settle(ctx, record);
      const why = !err.retryable ? 'not retryable' : expired ? 'past the retry window' : 'attempts exhausted';
      ctx.logger.error(
        { ...log, event, code: err.code, err: err.message, why },
        'callback abandoned: the producer was NOT told of this generation',
      );
      throw new UnrecoverableError(`callback abandoned (${why}): ${err.code}: ${err.message}`);
    }
  };
}

function eventFor(record: GenerationRecord): CallbackEvent | undefined {
  if (record.status === 'notifying') return 'generation.completed';
  if (record.status === 'failed') return 'generation.failed';
  return undefined;
}

/** The callback is over (delivered or abandoned): a stored generation becomes `completed`. */
async function settle(ctx: NotifyContext, record: GenerationRecord): Promise<void> {
  if (record.status === 'notifying') {
    await ctx.store.update(record.id, {}, { status: 'completed', from: ['notifying'] });
  }
}

/**
 * Adds the notify job of a generation that needs one (`notifying`, or `failed` with a callback URL).
 * The job id is the generation id, so adding it twice is one job. Returns whether a job was wanted.
 */
export async function enqueueNotify(
  ctx: { store: PipelineContext['store']; queues: Pick<PipelineContext['queues'], 'notify'> },
  generationId: string,
): Promise<boolean> {
  const record = await ctx.store.get(generationId);
  if (!record?.callbackUrl || !eventFor(record)) return false;
  await addNotifyJob(ctx.queues, generationId);
  return true;
}

/**
 * The notify job of a generation. Its id is the generation id, so adding it again while it exists
 * (or after it ran and was kept) adds nothing: every hand-off and repair can simply add it.
 */
export async function addNotifyJob(
  queues: Pick<PipelineContext['queues'], 'notify'>,
  generationId: string,
): Promise<void> {
  await queues.notify.add('notify', { generationId }, { jobId: generationId });
}
