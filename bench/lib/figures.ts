/** What a figure is: its unit, the baseline figure measured beside it in the same run, one line about it. */
export interface FigureSpec {
  unit: string;
  /** Name of the figure it is compared with; the printed ratio is value ÷ baseline. */
  baseline?: string;
  about: string;
}

/** Figures this harness knows how to present. Others (from newer groups) are printed plainly. */
export const FIGURES: Record<string, FigureSpec> = {
  'pipeline.generations_per_s': {
    unit: '/s',
    baseline: 'pipeline.raw_jobs_per_s',
    about: 'generations end to end, zero-latency simulator, stages in separate processes',
  },
  'pipeline.raw_jobs_per_s': { unit: '/s', about: 'raw 3-stage BullMQ no-op pipeline, same Redis and N' },
  'pipeline.throughput_ratio': { unit: '', about: 'generations/s ÷ raw jobs/s' },
  'pipeline.redis_cmds_per_generation': {
    unit: 'cmds',
    baseline: 'pipeline.raw_redis_cmds_per_job',
    about: 'INFO commandstats calls per generation while busy',
  },
  'pipeline.sdk_floor_jobs_per_s': {
    unit: '/s',
    baseline: 'pipeline.raw_jobs_per_s',
    about:
      'the raw pipeline with each stage making its one openai SDK call (create, retrieve, content), nothing else',
  },
  'pipeline.sdk_floor_ratio': {
    unit: '',
    about:
      'SDK floor ÷ raw jobs/s: the most pipeline.throughput_ratio can be with the mandated provider calls',
  },
  'pipeline.sdk_floor_cpu_ms_per_job': {
    unit: 'ms',
    baseline: 'pipeline.raw_cpu_ms_per_job',
    about: 'CPU time of every process of the SDK floor (Redis, simulator, stages, enqueuer) per job',
  },
  'pipeline.raw_redis_cmds_per_job': { unit: 'cmds', about: 'the same for one raw 3-stage job' },
  'pipeline.cpu_ms_per_generation': {
    unit: 'ms',
    baseline: 'pipeline.raw_cpu_ms_per_job',
    about: 'CPU time of every process involved (Redis, simulator, workers, enqueuer) per generation',
  },
  'pipeline.raw_cpu_ms_per_job': { unit: 'ms', about: 'the same for one raw 3-stage job' },
  'pipeline.cpu_ratio': {
    unit: '',
    about:
      'raw CPU per job ÷ our CPU per generation: the throughput ratio a CPU-bound quiet machine would show',
  },
  'poll.polls_per_video': {
    unit: 'polls',
    baseline: 'poll.fixed_polls_per_video',
    about: 'retrieves per video, poll-only, time-scaled realistic durations',
  },
  'poll.fixed_polls_per_video': { unit: 'polls', about: "the seed's fixed 10 s polling, same simulator" },
  'poll.detection_delay_ratio': {
    unit: '',
    baseline: 'poll.fixed_detection_delay_ratio',
    about: 'mean (provider completion → download start) ÷ generation time, poll-only',
  },
  'poll.fixed_detection_delay_ratio': {
    unit: '',
    about: 'mean (completion → seen) ÷ generation time, 10 s polling',
  },
  'poll.completion_uncertainty_ms': {
    unit: 'ms',
    about: 'mean ± bracket of the derived provider completion time (create round trip)',
  },
  'poll.polls_per_video_webhooks': {
    unit: 'polls',
    baseline: 'poll.polls_per_video',
    about: 'retrieves per video with provider webhooks to the api',
  },
  'poll.webhook_detection_p99_ms': {
    unit: 'ms',
    baseline: 'poll.fixed_detection_p99_ms',
    about: 'p99 provider completion → poll saw it, with webhooks (wall ms)',
  },
  'poll.fixed_detection_p99_ms': {
    unit: 'ms',
    about: 'p99 completion → seen with 10 s polling, provider ms',
  },
  'download.peak_rss_mb': {
    unit: 'MiB',
    baseline: 'download.idle_rss_mb',
    about: 'peak RSS of the download worker, 8 × 256 MiB, 4 at a time',
  },
  'download.idle_rss_mb': { unit: 'MiB', about: 'the same worker once ready, before any download' },
  'download.mb_per_s': {
    unit: 'MiB/s',
    baseline: 'download.copy_mb_per_s',
    about: 'download phase: first download start → last stored',
  },
  'download.copy_mb_per_s': {
    unit: 'MiB/s',
    about: 'plain fetch → fs.createWriteStream, same videos, 4 at a time',
  },
  'download.fsync_copy_mb_per_s': {
    unit: 'MiB/s',
    about: 'the plain copy with fsync before close, as our store does',
  },
  'download.throughput_ratio': { unit: '', about: 'download MiB/s ÷ plain copy MiB/s' },
  'download.after_idle_mb_per_s': {
    unit: 'MiB/s',
    baseline: 'download.copy_mb_per_s',
    about: 'the same worker again after 20 s idle (V8 shrinks an idle young generation)',
  },
  'download.after_idle_throughput_ratio': { unit: '', about: 'after-idle MiB/s ÷ plain copy MiB/s' },
};

/** Names some figure uses as its baseline: printed beside that figure rather than on a line of their own. */
export const BASELINE_NAMES: ReadonlySet<string> = new Set(
  Object.values(FIGURES).flatMap((spec) => (spec.baseline ? [spec.baseline] : [])),
);
