import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import OpenAI, { APIError } from 'openai';
import type { VideoCreateParams, VideoSeconds, VideoSize } from 'openai/resources/videos';
import { classifyProviderError } from '../classify.ts';
import { ProviderError } from '../errors.ts';
import { findCreatedVideo } from '../find-created.ts';
import type {
  CallOptions,
  ContentVariant,
  CreateOptions,
  CreateVideoRequest,
  ListOptions,
  ProviderContent,
  ProviderEndpoint,
  ProviderVideo,
  VideoProvider,
} from '../provider.ts';
import { normalizeVideo } from './normalize.ts';
import { type OpenAIProviderOptions, resolveOpenAIProviderOptions } from './openai-options.ts';
import { createWebhookVerifier } from './webhook.ts';

/** The subset of the SDK's `APIPromise` we rely on: every call goes through `.withResponse()`. */
interface WithResponse<T> {
  withResponse(): Promise<{ data: T; response: Response }>;
}

/**
 * The OpenAI-compatible `/v1/videos` adapter over the official `openai` SDK. Works against OpenAI,
 * gateways and self-hosted servers that speak the same shape, and the simulator.
 *
 * Every SDK call runs with `maxRetries: 0`. Reelay's queues own retries (with backoff, rate limits and
 * attempt bounds shared by all workers), and for `create` it is the money invariant: the SDK would
 * retry a create after a timeout, and a second create is a second paid video.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions = {}): VideoProvider {
  const config = resolveOpenAIProviderOptions(options);
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    timeout: config.timeoutMs,
    maxRetries: 0,
    defaultHeaders: config.defaultHeaders,
    // Verification goes through `standardwebhooks` (see webhook.ts); keep the SDK from reading env.
    webhookSecret: null,
  });
  const classify = (error: unknown) => classifyProviderError(error, { secrets: [config.apiKey] });
  const verifyWebhook = createWebhookVerifier(config.webhookSecret);

  const report = (endpoint: ProviderEndpoint, status: number, headers: Headers, started: number) => {
    if (config.onResponse === undefined) return;
    try {
      config.onResponse({ endpoint, status, headers, durationMs: performance.now() - started });
    } catch {
      // A metrics hook must never turn a successful (possibly paid) call into a failure.
    }
  };

  const budget = new RetryBudget();

  async function call<T>(endpoint: ProviderEndpoint, run: () => WithResponse<T>): Promise<T> {
    const started = performance.now();
    try {
      const { data, response } = await run().withResponse();
      report(endpoint, response.status, response.headers, started);
      budget.succeeded();
      return data;
    } catch (error) {
      if (error instanceof APIError && typeof error.status === 'number' && error.headers !== undefined) {
        report(endpoint, error.status, error.headers, started);
      }
      const err = classify(error);
      if (err.kind === 'transient') budget.failed();
      throw err;
    }
  }

  /**
   * A read (see `readRetries`): sent again in place after a transient failure that is not a timeout
   * or an abort, while the retry budget allows. Every exchange still reaches `onResponse`, so metrics
   * count each 5xx.
   */
  async function read<T>(endpoint: ProviderEndpoint, run: () => WithResponse<T>, signal?: AbortSignal) {
    for (let retry = 0; ; retry++) {
      try {
        return await call(endpoint, run);
      } catch (error) {
        const err = error as ProviderError;
        const again =
          retry < config.readRetries &&
          budget.allowsRetry() &&
          err.kind === 'transient' &&
          err.providerCode !== 'timeout' &&
          err.providerCode !== 'aborted' &&
          signal?.aborted !== true;
        if (!again) throw err;
        // An abort ends the pause early; the next call then fails as aborted and is not sent again.
        await sleep(readRetryDelay(retry, err.retryAfterMs), undefined, { signal }).catch(() => {});
      }
    }
  }

  const request = (signal: AbortSignal | undefined) => ({ maxRetries: 0, ...(signal ? { signal } : {}) });

  async function* list(opts: ListOptions = {}): AsyncGenerator<ProviderVideo> {
    let after = opts.after;
    for (;;) {
      const query = {
        ...(after !== undefined ? { after } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.order !== undefined ? { order: opts.order } : {}),
      };
      // Paged by hand rather than with the SDK's auto-pagination so that every page's response
      // reaches `onResponse` (rate-limit headers) and fails through the classifier.
      const page = await read('list', () => client.videos.list(query, request(opts.signal)), opts.signal);
      for (const video of page.data) yield normalizeVideo(video);
      const cursor = page.last_id || page.data.at(-1)?.id;
      if (!page.has_more || page.data.length === 0 || cursor === undefined || cursor === after) return;
      after = cursor;
    }
  }

  return {
    name: config.name,
    defaultModel: config.model,

    async create(req: CreateVideoRequest, opts: CreateOptions): Promise<ProviderVideo> {
      if (opts.idempotencyKey === '') throw invalidArgument('idempotencyKey must not be empty');
      const body: VideoCreateParams = {
        prompt: req.prompt,
        model: req.model ?? config.model,
        // The SDK types list OpenAI's values only; gateways accept others, the server decides.
        seconds: req.seconds as VideoSeconds,
        size: req.size as VideoSize,
      };
      const ref = req.inputReference;
      if (ref !== undefined) {
        body.input_reference = 'imageUrl' in ref ? { image_url: ref.imageUrl } : { file_id: ref.fileId };
      }
      const video = await call('create', () =>
        client.videos.create(body, {
          ...request(opts.signal),
          headers: { 'Idempotency-Key': opts.idempotencyKey },
        }),
      );
      return normalizeVideo(video);
    },

    async retrieve(id: string, opts: CallOptions = {}): Promise<ProviderVideo> {
      requireId(id);
      return normalizeVideo(
        await read('retrieve', () => client.videos.retrieve(id, request(opts.signal)), opts.signal),
      );
    },

    async downloadContent(
      id: string,
      variant: ContentVariant,
      opts: CallOptions = {},
    ): Promise<ProviderContent> {
      requireId(id);
      const response = await read(
        'content',
        () => client.videos.downloadContent(id, { variant }, request(opts.signal)),
        opts.signal,
      );
      return {
        body: contentStream(response, classify),
        contentLength: announcedLength(response.headers),
        contentType: response.headers.get('content-type'),
      };
    },

    list,

    async delete(id: string, opts: CallOptions = {}): Promise<void> {
      requireId(id);
      await call('delete', () => client.videos.delete(id, request(opts.signal)));
    },

    findCreated(match) {
      return findCreatedVideo(list, { ...match, model: match.model ?? config.model });
    },

    verifyWebhook,

    async moderate(input: string, opts: CallOptions = {}) {
      const result = await read(
        'moderation',
        () => client.moderations.create({ input, model: config.moderationModel }, request(opts.signal)),
        opts.signal,
      );
      const categories = new Set<string>();
      for (const r of result.results) {
        for (const [name, hit] of Object.entries(r.categories)) if (hit === true) categories.add(name);
      }
      return { flagged: result.results.some((r) => r.flagged), categories: [...categories] };
    },

    classifyError: classify,
  };
}

/**
 * The fetch body as a Node stream whose errors are already classified: a socket that dies mid-download
 * surfaces as a `transient` ProviderError, not as undici's bare `TypeError: terminated`. Destroying the
 * returned stream ends the generator, which destroys the inner stream and cancels the fetch body.
 */
function contentStream(response: Response, classify: (error: unknown) => ProviderError): Readable {
  const web = response.body;
  if (web === null) return Readable.from([]);
  const source = Readable.fromWeb(web as WebReadableStream<Uint8Array>);
  // fromWeb subscribes to the body at once: a connection dropped before anyone reads (the caller is
  // still opening its destination) destroys `source` with an error and no listener, which would crash
  // the process. The error is not lost: iterating an errored stream throws it, classified below.
  source.on('error', () => {});
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of source) yield chunk as Uint8Array;
    } catch (error) {
      throw classify(error);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * `Content-Length`, unless a content encoding was applied: fetch decodes gzip/br transparently, and
 * the header then counts the compressed bytes, which would fail an honest download's length check.
 */
function announcedLength(headers: Headers): number | null {
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return null;
  const raw = headers.get('content-length');
  if (raw === null || !/^\d+$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/**
 * Retry throttling (gRPC's A6 design; Finagle calls it a retry budget): in-place retries are allowed
 * only while most recent exchanges with the provider succeeded. Every success adds a token, every
 * transient failure takes one (10 at most, 10 at start); a retry needs more than half. Sporadic 5xx
 * (a 30 % rate still drifts upwards) keep retries on, so a reconciliation's list walk survives them;
 * in an outage the tokens are gone after a few failures and each job attempt sends one request again,
 * as the queue's backoff intends — retrying in place would multiply the load on a provider that is down.
 */
class RetryBudget {
  static readonly MAX = 10;
  private tokens = RetryBudget.MAX;
  succeeded(): void {
    this.tokens = Math.min(RetryBudget.MAX, this.tokens + 1);
  }
  failed(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }
  allowsRetry(): boolean {
    return this.tokens > RetryBudget.MAX / 2;
  }
}

/** 100 ms · 2^retry capped at 2 s, jittered over its upper half; a provider retry-after up to 2 s wins. */
export function readRetryDelay(retry: number, retryAfterMs: number | undefined): number {
  const cap = Math.min(100 * 2 ** retry, 2_000);
  if (retryAfterMs !== undefined && retryAfterMs <= 2_000) return retryAfterMs;
  return cap / 2 + Math.random() * (cap / 2);
}

function requireId(id: string): void {
  // An empty id would turn `GET /videos/{id}` into `GET /videos/` — a listing, not an error.
  if (typeof id !== 'string' || id.trim() === '') throw invalidArgument('video id must not be empty');
}

function invalidArgument(message: string): ProviderError {
  return new ProviderError('invalid', message, { providerCode: 'invalid_argument' });
}
