import { seededStream } from './random.ts';
import { RateLimits } from './rate-limits.ts';
import { parseConfigPatch, type ResolvedSimulatorOptions, type SimConfig } from './sim-options.ts';
import { emptyStats, type SimStats } from './stats.ts';
import { VideoStore } from './video-store.ts';
import { WebhookDispatcher } from './webhooks.ts';

/** Everything the HTTP layer reads and changes: config, books, videos, limits, webhooks, fault draws. */
export class SimState {
  readonly seed: string;
  config: SimConfig;
  readonly stats: SimStats = emptyStats();
  readonly store: VideoStore;
  readonly limits = new RateLimits();
  readonly webhooks: WebhookDispatcher;
  /** Per-request fault draws: one seeded stream, so a given sequence of calls meets the same faults. */
  faultDraw: () => number;
  moderationCount = 0;

  constructor(options: ResolvedSimulatorOptions) {
    this.seed = options.seed;
    this.config = options.config;
    this.faultDraw = seededStream(this.seed, 'faults');
    this.webhooks = new WebhookDispatcher(this.seed, () => this.config, this.stats);
    this.store = new VideoStore(this.seed, {
      settled: (record) => {
        const failed = record.fails;
        if (failed) this.stats.videosFailed += 1;
        else this.stats.videosCompleted += 1;
        this.stats.inFlight = this.store.inFlight;
        this.webhooks.emit(failed ? 'video.failed' : 'video.completed', record.id, Date.now());
      },
    });
  }

  /** Applies a checked patch; returns the new config. Already-running generations keep their timeline. */
  configure(patch: unknown): SimConfig {
    this.config = { ...this.config, ...parseConfigPatch(patch) };
    return this.config;
  }

  /** Clears videos, limits, counters and queued webhooks; the config stays. */
  reset(): void {
    this.store.clear();
    this.limits.clear();
    this.webhooks.clear();
    Object.assign(this.stats, emptyStats());
    this.faultDraw = seededStream(this.seed, 'faults');
    this.moderationCount = 0;
  }

  snapshot(): SimStats {
    return { ...this.stats, inFlight: this.store.inFlight };
  }

  /** The config as shown to callers: secrets replaced, so it can be printed or logged. */
  publicConfig(): Record<string, unknown> {
    return {
      ...this.config,
      webhookSecret: this.config.webhookSecret ? 'whsec_***' : null,
      apiKeys: this.config.apiKeys.map(() => '***'),
    };
  }

  close(): void {
    this.store.clear();
    this.webhooks.stop();
  }
}
