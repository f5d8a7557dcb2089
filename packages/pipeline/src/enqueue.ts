import {
  type GenerationRequestInput,
  type GenerationStatus,
  ValidationError,
  generationIdFor,
  generationRequestSchema,
  jobIdFor,
  newGenerationId,
} from '@reelay/core';
import type { PipelineContext } from './context.ts';

export interface EnqueueOptions {
  /** Same key (per tenant) → same generation, however often it is sent. */
  idempotencyKey?: string;
  tenant?: string;
  metadata?: Record<string, string>;
  /** BullMQ priority within the submit queue (1 = highest). */
  priority?: number;
}

export interface EnqueueResult {
  id: string;
  status: GenerationStatus;
  /** False when an earlier call with the same idempotency key had already created it. */
  created: boolean;
}

/**
 * validate → create the generation record → add the submit job whose id is the generation id.
 * Invalid input throws a ValidationError naming the field and enqueues nothing. A crash between the
 * record and the job leaves a `queued` record without a job; sending the same idempotency key again
 * adds the job (the add is idempotent by job id), and the submit worker's sweeper does it otherwise.
 */
export async function enqueueGeneration(
  ctx: Pick<PipelineContext, 'store' | 'queues' | 'options'>,
  input: GenerationRequestInput,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const parsed = generationRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(request)',
      message: i.message,
    }));
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
  if (result.status === 'queued') {
    await ctx.queues.submit.add(
      'submit',
      { generationId: id, round: 0 },
      { jobId: jobIdFor(id, 0), ...(options.priority !== undefined ? { priority: options.priority } : {}) },
    );
  }
  return result;
}
