import type { PipelineContext } from '../context.ts';

type ReleaseContext = Pick<PipelineContext, 'store' | 'queues'>;

/**
 * Moves a generation's parked submit job into the submit queue (promotes it out of its far-future
 * delay). Idempotent: a job already waiting, running or done is left alone. When the job is missing
 * (the enqueue died between the backlog push and the job add) and the generation is still queued, the
 * job is added here; a parked add that raced it is promoted by the second look.
 */
export async function releaseToSubmit(ctx: ReleaseContext, generationId: string): Promise<void> {
  const queue = ctx.queues.submit;
  let job = await queue.getJob(generationId);
  if (!job) {
    const record = await ctx.store.get(generationId);
    if (record?.status !== 'queued' || record.attempts.resubmits !== 0) return;
    await queue.add('submit', { generationId, round: 0 }, { jobId: generationId });
    job = await queue.getJob(generationId);
    if (!job) return;
  }
  try {
    await job.promote();
  } catch (error) {
    // BullMQ refuses to promote a job that is not delayed: it is already on its way.
    if ((await job.getState()) === 'delayed') throw error;
  }
}
