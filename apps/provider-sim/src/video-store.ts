import type { CreateRequest } from './catalog.ts';
import { drawTimeline } from './duration-model.ts';
import { hashHex } from './random.ts';
import type { SimConfig } from './sim-options.ts';
import { statusAt, type VideoRecord } from './video-record.ts';

export interface StoreEvents {
  /** A generation reached completed or failed (called once per video). */
  settled(record: VideoRecord): void;
}

/**
 * Every video, its lifecycle timers and the in-flight books. The status is a pure function of the clock
 * (see `statusAt`); the per-video timer only does the side effects of finishing (in-flight count,
 * webhook), and any read that sees a due video settles it first, so a client never observes
 * `completed` while the simulator still counts the video as in flight.
 */
export class VideoStore {
  private readonly seed: string;
  private readonly events: StoreEvents;
  /** Insertion-ordered, which is creation order: the list endpoint pages over it. */
  private readonly videos = new Map<string, VideoRecord>();
  private readonly inFlightByKey = new Map<string, Set<VideoRecord>>();
  private readonly idempotency = new Map<string, string>();
  private readonly billedByKey = new Map<string, number>();
  private counter = 0;
  inFlight = 0;

  constructor(seed: string, events: StoreEvents) {
    this.seed = seed;
    this.events = events;
  }

  /** Deterministic ids: the n-th video of a seed always has the same id (`video_` + 48 hex, like the API). */
  private nextId(): string {
    this.counter += 1;
    return `video_${hashHex(this.seed, 'video', this.counter).slice(0, 48)}`;
  }

  create(
    apiKey: string,
    request: CreateRequest,
    remixedFrom: string | null,
    config: SimConfig,
    now: number,
  ): VideoRecord {
    const id = this.nextId();
    const timeline = drawTimeline(
      this.seed,
      id,
      { model: request.model, seconds: Number(request.seconds), size: request.size },
      config.failureRate,
    );
    const startsMs = now + timeline.queueMs / config.timeScale;
    const record: VideoRecord = {
      id,
      apiKey,
      ...request,
      remixedFromVideoId: remixedFrom,
      createdMs: now,
      startsMs,
      endsMs: Math.ceil(startsMs + timeline.runMs / config.timeScale),
      fails: timeline.fails,
      failureCode: config.failureCode,
      ttlWallMs: (config.ttlSeconds * 1000) / config.timeScale,
      settled: false,
      timer: null,
    };
    this.videos.set(id, record);
    this.keyInFlight(apiKey).add(record);
    this.inFlight += 1;
    this.billedByKey.set(apiKey, (this.billedByKey.get(apiKey) ?? 0) + 1);
    record.timer = setTimeout(() => this.settle(record), Math.max(0, record.endsMs - now));
    return record;
  }

  private keyInFlight(apiKey: string): Set<VideoRecord> {
    let set = this.inFlightByKey.get(apiKey);
    if (!set) {
      set = new Set();
      this.inFlightByKey.set(apiKey, set);
    }
    return set;
  }

  private settle(record: VideoRecord): void {
    if (record.settled) return;
    record.settled = true;
    if (record.timer) clearTimeout(record.timer);
    record.timer = null;
    this.inFlightByKey.get(record.apiKey)?.delete(record);
    this.inFlight -= 1;
    this.events.settled(record);
  }

  /** The video, settled first if its time has come; undefined if unknown or deleted. */
  get(id: string, now: number): VideoRecord | undefined {
    const record = this.videos.get(id);
    if (record && !record.settled && now >= record.endsMs) this.settle(record);
    return record;
  }

  /** Unfinished generations of a key right now (settling the ones that are due). */
  inFlightFor(apiKey: string, now: number): VideoRecord[] {
    const set = this.inFlightByKey.get(apiKey);
    if (!set) return [];
    for (const record of set) if (now >= record.endsMs) this.settle(record);
    return [...set];
  }

  billedFor(apiKey: string): number {
    return this.billedByKey.get(apiKey) ?? 0;
  }

  idempotentVideo(apiKey: string, key: string): string | undefined {
    return this.idempotency.get(`${apiKey}\u0000${key}`);
  }

  rememberIdempotency(apiKey: string, key: string, videoId: string): void {
    this.idempotency.set(`${apiKey}\u0000${key}`, videoId);
  }

  delete(id: string): void {
    const record = this.videos.get(id);
    if (!record) return;
    if (!record.settled) this.settle(record);
    this.videos.delete(id);
  }

  /** One cursor page in creation order (`asc`) or newest first (`desc`, the default). */
  list(
    now: number,
    opts: { after?: string; limit: number; order: 'asc' | 'desc' },
  ): { page: VideoRecord[]; hasMore: boolean } {
    const all = [...this.videos.values()];
    if (opts.order === 'desc') all.reverse();
    let start = 0;
    if (opts.after !== undefined) {
      const index = all.findIndex((r) => r.id === opts.after);
      start = index === -1 ? all.length : index + 1;
    }
    const page = all.slice(start, start + opts.limit);
    for (const record of page) this.get(record.id, now);
    return { page, hasMore: start + opts.limit < all.length };
  }

  statusOf(record: VideoRecord, now: number): ReturnType<typeof statusAt> {
    return statusAt(record, now);
  }

  /** Stops every timer (close / reset); nothing fires afterwards. */
  clear(): void {
    for (const record of this.videos.values()) if (record.timer) clearTimeout(record.timer);
    this.videos.clear();
    this.inFlightByKey.clear();
    this.idempotency.clear();
    this.billedByKey.clear();
    this.counter = 0;
    this.inFlight = 0;
  }
}
