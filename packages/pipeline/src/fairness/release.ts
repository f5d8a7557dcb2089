import { Job } from 'bullmq';
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
  // Almost always the parked job is there: promote it without reading it first. BullMQ refuses a
  // missing or non-delayed job; then look at what is there, as below.
  try {
    await new Job(queue, 'submit', { generationId, round: 0 }, {}, generationId).promote();
    return;
  } catch {
    // missing (its enqueue died before the add) or already on its way
  }
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
