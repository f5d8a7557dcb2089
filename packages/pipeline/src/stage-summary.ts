import type { GenerationRecord } from '@reelay/core';

/**
 * What a stage job left its generation as, when the stage knows without reading the record again
 * (its hot paths: a poll handing on to download, a download storing the video). The stage-end report
 * then needs no read of its own; without one it reads the record.
 */
export interface StageSummary {
  readonly kind: 'stage-summary';
  /** The record as this job left it. */
  record: GenerationRecord;
  /** This job moved the record to a terminal status. */
  finished: boolean;
}

export function stageSummary(record: GenerationRecord, finished: boolean): StageSummary {
  return { kind: 'stage-summary', record, finished };
}

export function isStageSummary(value: unknown): value is StageSummary {
  return (value as StageSummary | undefined)?.kind === 'stage-summary';
}
