import { Webhook } from 'standardwebhooks';
import { hashHex, hashUnit } from './random.ts';
import type { SimConfig } from './sim-options.ts';
import type { SimStats } from './stats.ts';

export interface WebhookEvent {
  id: string;
  object: 'event';
  created_at: number;
  type: 'video.completed' | 'video.failed';
  data: { id: string };
}

/**
 * Sends thin `video.*` events signed per Standard Webhooks (the `standardwebhooks` package signs, so the
 * bytes match what `client.webhooks.unwrap` and any Standard Webhooks receiver verify). Retries with a
 * doubling delay; the same webhook-id on every retry and duplicate, so receivers can deduplicate.
 */
export class WebhookDispatcher {
  private readonly seed: string;
  private readonly config: () => SimConfig;
  private readonly stats: SimStats;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<AbortController>();
  private sequence = 0;
  private closed = false;
  /** Bumped by clear(): an attempt still in flight from before a reset must not retry or count. */
  private epoch = 0;

  constructor(seed: string, config: () => SimConfig, stats: SimStats) {
    this.seed = seed;
    this.config = config;
    this.stats = stats;
  }

  /** Queues the event for a finished video; no-op unless both URL and secret are configured. */
  emit(type: WebhookEvent['type'], videoId: string, now: number): void {
    const { webhookUrl, webhookSecret } = this.config();
    if (!webhookUrl || !webhookSecret || this.closed) return;
    this.sequence += 1;
    const event: WebhookEvent = {
      id: `evt_${hashHex(this.seed, 'event', videoId, this.sequence).slice(0, 32)}`,
      object: 'event',
      created_at: Math.floor(now / 1000),
      type,
      data: { id: videoId },
    };
    const body = JSON.stringify(event);
    const duplicate = hashUnit(this.seed, 'webhook-dup', event.id) < this.config().webhookDuplicateRate;
    this.schedule(webhookUrl, webhookSecret, event.id, body, 1, this.holdMs(event.id, 0), duplicate);
  }

  private holdMs(eventId: string, n: number): number {
    const cfg = this.config();
    return cfg.webhookOutOfOrder
      ? Math.floor(hashUnit(this.seed, 'webhook-hold', eventId, n) * cfg.webhookJitterMs)
      : 0;
  }

  private schedule(
    url: string,
    secret: string,
    msgId: string,
    body: string,
    attempt: number,
    delayMs: number,
    duplicate: boolean,
  ): void {
    if (this.closed) return;
    const epoch = this.epoch;
    const timer = setTimeout(() => {
      if (epoch !== this.epoch) return;
      this.timers.delete(timer);
      void this.attempt(url, secret, msgId, body, attempt, duplicate);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(
    url: string,
    secret: string,
    msgId: string,
    body: string,
    attempt: number,
    duplicate: boolean,
  ): Promise<void> {
    const now = new Date();
    // Signed afresh on every attempt: the timestamp is part of the signature and receivers reject old ones.
    const signature = new Webhook(secret).sign(msgId, now, body);
    const epoch = this.epoch;
    const controller = new AbortController();
    this.pending.add(controller);
    let ok = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'reelay-provider-sim/webhooks',
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      ok = response.ok;
    } catch {
      ok = false;
    } finally {
      this.pending.delete(controller);
    }
    if (this.closed || epoch !== this.epoch) return;
    if (ok) {
      this.stats.webhooksDelivered += 1;
      if (duplicate) this.schedule(url, secret, msgId, body, 1, this.holdMs(msgId, 1), false);
      return;
    }
    this.stats.webhookAttemptsFailed += 1;
    const cfg = this.config();
    if (attempt >= cfg.webhookMaxAttempts) {
      this.stats.webhooksAbandoned += 1;
      return;
    }
    this.schedule(
      url,
      secret,
      msgId,
      body,
      attempt + 1,
      cfg.webhookRetryBaseMs * 2 ** (attempt - 1),
      duplicate,
    );
  }

  /** Cancels queued and in-flight deliveries. */
  stop(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.pending) controller.abort();
  }

  /** Forgets queued deliveries but keeps accepting new events (reset). */
  clear(): void {
    this.epoch += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.pending) controller.abort();
    this.sequence = 0;
  }
}
