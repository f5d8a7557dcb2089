import {
  type GenerationRequestInput,
  type GenerationStatus,
  ValidationError,
  generationIdFor,
  generationRequestSchema,
  jobIdFor,
  newGenerationId,
} from '@reelay/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PipelineContext } from './context.ts';
import { FairBacklog } from './fairness/backlog.ts';
import { MAX_PRIORITY, PARK_DELAY_MS } from './fairness/fairness-options.ts';

export interface EnqueueOptions {
  /** Same key (per tenant) → same generation, however often it is sent. */
  idempotencyKey?: string;
  tenant?: string;
  metadata?: Record<string, string>;
  /**
   * Order within the tenant: lower first, 0 (the default) before any other, then arrival order.
   * Integer 0 … 2,097,151 (BullMQ's priority range). Tenants share the provider by weight whatever
   * their priorities (see fairness/README.md).
   */
  priority?: number;
}

export interface EnqueueResult {
  id: string;
  status: GenerationStatus;
  /** False when an earlier call with the same idempotency key had already created it. */
  created: boolean;
}

/**
 * validate → create the generation record → hand it to the submit stage. Invalid input throws a
 * ValidationError naming the field and enqueues nothing.
 *
 * With a fair dispatcher running (its presence key lives), the generation joins its tenant's backlog
 * and its submit job is added *parked* (delayed far ahead): the dispatcher promotes it when its fair
 * turn comes. Without one, the submit job is added ready, FIFO (BullMQ priority within the queue), as
 * before. Both adds use the generation id as job id, so repeating an enqueue adds nothing twice.
 *
 * A crash between the record and the job leaves a `queued` record without a job; sending the same
 * idempotency key again repairs it, and the submit worker's sweeper does it otherwise. A crash between
 * the backlog push and the job add is repaired by the dispatcher (it adds a missing job on release).
 */
export async function enqueueGeneration(
  ctx: Pick<PipelineContext, 'store' | 'queues' | 'options'>,
  input: GenerationRequestInput,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const parsed = generationRequestSchema.safeParse(input);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(request)',
        message: i.message,
      }));
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    issues.push({ path: 'priority', message: `must be an integer from 0 to ${MAX_PRIORITY}` });
  }
  if (!parsed.success || issues.length > 0) {
    throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  const tenant = options.tenant ?? ctx.options.defaultTenant;
  const id = options.idempotencyKey ? generationIdFor(tenant, options.idempotencyKey) : newGenerationId();
  const result = await ctx.store.create({
    id,
    tenant,
    request: parsed.data,
    provider: ctx.options.providerName,
    ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
  });
  if (result.status !== 'queued') return result;

  const queue = ctx.queues.submit;
  const redis = connectionOf(queue);
  const fair =
    redis !== null && (await new FairBacklog(redis, ctx.store.prefix).push(id, tenant, priority)) !== 0;
  await queue.add(
    'submit',
    { generationId: id, round: 0 },
    fair
      ? { jobId: jobIdFor(id, 0), delay: PARK_DELAY_MS }
      : { jobId: jobIdFor(id, 0), ...(priority > 0 ? { priority } : {}) },
  );
  return result;
}

/**
 * The ioredis connection the queue was built on (`createStageQueues` always passes one). A queue built
 * from connection options has none to share: its enqueues skip the fair backlog (FIFO).
 */
function connectionOf(queue: Queue): Redis | null {
  const connection = queue.opts.connection as Partial<Redis> | undefined;
  return typeof connection?.defineCommand === 'function' ? (connection as Redis) : null;
}
