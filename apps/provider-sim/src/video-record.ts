/** One generation as the simulator keeps it; the wire object is derived from it and the clock. */
export interface VideoRecord {
  id: string;
  /** Key that created it: limits, quota and in-flight caps are per key. */
  apiKey: string;
  model: string;
  prompt: string;
  size: string;
  seconds: string;
  remixedFromVideoId: string | null;
  /** Wall-clock ms of creation, of leaving the queue, and of reaching a final state. */
  createdMs: number;
  startsMs: number;
  endsMs: number;
  /** Drawn at creation: whether it ends failed, and with which code. */
  fails: boolean;
  failureCode: string;
  /** Provider TTL at creation time, in wall ms (ttlSeconds / timeScale). */
  ttlWallMs: number;
  /** Set once the final state is recorded (by its timer or by a read that got there first). */
  settled: boolean;
  timer: NodeJS.Timeout | null;
}

/** The Video object of the contract. */
export interface VideoObject {
  id: string;
  object: 'video';
  model: string;
  status: 'queued' | 'in_progress' | 'completed' | 'failed';
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string | null;
  size: string;
  seconds: string;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

const FAILURE_MESSAGES: Record<string, string> = {
  moderation_blocked: 'Your video was blocked by our moderation system.',
  internal_error: 'Video generation failed due to an internal error. Please try again.',
};

export function completedAtSec(record: VideoRecord): number {
  return Math.floor(record.endsMs / 1000);
}

/** `completed_at + ttl` rounded up to whole seconds, as the contract fixes. */
export function expiresAtSec(record: VideoRecord): number {
  return completedAtSec(record) + Math.ceil(record.ttlWallMs / 1000);
}

export function statusAt(record: VideoRecord, now: number): VideoObject['status'] {
  if (now >= record.endsMs) return record.fails ? 'failed' : 'completed';
  return now >= record.startsMs ? 'in_progress' : 'queued';
}

export function toVideoObject(record: VideoRecord, now: number): VideoObject {
  const status = statusAt(record, now);
  const done = status === 'completed' || status === 'failed';
  let progress = 0;
  if (status === 'completed') progress = 100;
  else if (status === 'in_progress' || status === 'failed') {
    // A failed job froze at the point it failed; a running one rises towards (never reaching) 100.
    const at = Math.min(now, record.endsMs);
    const full = record.fails ? (record.endsMs - record.startsMs) / 0.9 : record.endsMs - record.startsMs;
    progress = Math.min(99, Math.floor((100 * (at - record.startsMs)) / Math.max(1, full)));
  }
  return {
    id: record.id,
    object: 'video',
    model: record.model,
    status,
    progress,
    created_at: Math.floor(record.createdMs / 1000),
    completed_at: done ? completedAtSec(record) : null,
    expires_at: status === 'completed' ? expiresAtSec(record) : null,
    prompt: record.prompt,
    size: record.size,
    seconds: record.seconds,
    remixed_from_video_id: record.remixedFromVideoId,
    error:
      status === 'failed'
        ? {
            code: record.failureCode,
            message:
              FAILURE_MESSAGES[record.failureCode] ?? `Video generation failed (${record.failureCode}).`,
          }
        : null,
  };
}
