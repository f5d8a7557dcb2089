import { STAGES, type Stage, type StageQueues } from '@reelay/core';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface StageHealth {
  stage: Stage;
  /** Paused by an operator or by the pipeline (a quota or auth refusal pauses `submit`). */
  paused: boolean;
  /** Ready to run: the wait list plus prioritized jobs. */
  waiting: number;
  active: number;
  /** Scheduled for later: polls waiting for their next check, retries in backoff, parked submits. */
  delayed: number;
  failed: number;
  /** Finished in the last minute (jobs kept by `removeOnComplete`, see README). */
  completedPerMinute: number;
  failedPerMinute: number;
  /**
   * Age of the longest-waiting ready job, ms, or null when none waits: since it was added or last
   * ran. For a job that sat delayed in between, that is an upper bound (BullMQ keeps no "entered
   * wait at" time).
   */
  oldestWaitingMs: number | null;
}

const MINUTE_MS = 60_000;
/** Prioritized jobs are ordered by priority, not age; the oldest among this many is reported. */
const PRIORITIZED_SAMPLE = 50;

/**
 * Jobs per minute come from the finished sets themselves: BullMQ scores `completed` and `failed` by
 * finish time, so one ZCOUNT is exact without `metrics` on the workers (which Queue#getMetrics
 * needs, and ours do not enable) and without sampling counts in this process.
 */
export async function readStageHealth(
  redis: Redis,
  queues: StageQueues,
  now = Date.now(),
): Promise<StageHealth[]> {
  return Promise.all(STAGES.map((stage) => readOne(redis, stage, queues[stage], now)));
}

async function readOne(redis: Redis, stage: Stage, queue: Queue, now: number): Promise<StageHealth> {
  const since = String(now - MINUTE_MS);
  const [counts, paused, completedPerMinute, failedPerMinute, oldestWaitingMs] = await Promise.all([
    queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed'),
    queue.isPaused(),
    redis.zcount(queue.toKey('completed'), since, '+inf'),
    redis.zcount(queue.toKey('failed'), since, '+inf'),
    oldestWaiting(queue, now),
  ]);
  const n = (key: string) => counts[key] ?? 0;
  return {
    stage,
    paused,
    waiting: n('wait') + n('prioritized'),
    active: n('active'),
    delayed: n('delayed'),
    failed: n('failed'),
    completedPerMinute,
    failedPerMinute,
    oldestWaitingMs,
  };
}

async function oldestWaiting(queue: Queue, now: number): Promise<number | null> {
  // asc = true reads the wait list from its tail: the job that entered first.
  const [head, prioritized] = await Promise.all([
    queue.getJobs(['wait'], 0, 0, true),
    queue.getJobs(['prioritized'], 0, PRIORITIZED_SAMPLE - 1, true),
  ]);
  const since = [...head, ...prioritized].map(
    (job: Job) => Math.max(job.timestamp, job.processedOn ?? 0) + (job.delay ?? 0),
  );
  return since.length === 0 ? null : Math.max(0, now - Math.min(...since));
}
