import type { StageQueues } from '@reelay/core';
import type { Redis } from 'ioredis';
import { type LimitsConfig, type LimitsHealth, readLimitsHealth } from './limits-health.ts';
import { type StageHealth, readStageHealth } from './stage-health.ts';

/** What `/health/queues.json` answers and `/health` renders. */
export interface QueueHealth {
  /** ISO time of the reading. */
  at: string;
  prefix: string;
  stages: StageHealth[];
  limits: LimitsHealth;
}

export async function readQueueHealth(
  redis: Redis,
  prefix: string,
  queues: StageQueues,
  limits: LimitsConfig,
): Promise<QueueHealth> {
  const now = Date.now();
  const [stages, limitsHealth] = await Promise.all([
    readStageHealth(redis, queues, now),
    readLimitsHealth(redis, prefix, limits, now),
  ]);
  return { at: new Date(now).toISOString(), prefix, stages, limits: limitsHealth };
}
