import type { Video } from 'openai/resources/videos';
import type { ProviderVideo, VideoStatus } from '../provider.ts';

// Gateways that speak the /v1/videos shape do not all keep OpenAI's closed status union; these are
// the spellings seen in their docs (OpenRouter, Replicate-style backends). Unknown values count as running:
// the poll stage keeps asking, and a deadline ends it, rather than failing a paid video on a word.
const STATUS: Record<string, VideoStatus> = {
  queued: 'queued',
  pending: 'queued',
  starting: 'queued',
  in_progress: 'in_progress',
  processing: 'in_progress',
  running: 'in_progress',
  completed: 'completed',
  succeeded: 'completed',
  failed: 'failed',
  cancelled: 'failed',
  canceled: 'failed',
  expired: 'failed',
};

export function normalizeVideo(video: Video): ProviderVideo {
  const rawStatus = String(video.status);
  const status = STATUS[rawStatus] ?? 'in_progress';
  const error =
    video.error !== null && video.error !== undefined
      ? { code: String(video.error.code ?? 'unknown'), message: String(video.error.message ?? '') }
      : status === 'failed'
        ? { code: rawStatus, message: `the provider reported the video as ${rawStatus}` }
        : null;
  const progress = Number(video.progress);
  return {
    id: video.id,
    status,
    progress: Number.isFinite(progress) ? Math.min(100, Math.max(0, progress)) : 0,
    model: String(video.model),
    seconds: String(video.seconds),
    size: String(video.size),
    prompt: video.prompt ?? null,
    createdAt: video.created_at,
    completedAt: video.completed_at ?? null,
    expiresAt: video.expires_at ?? null,
    error,
  };
}
