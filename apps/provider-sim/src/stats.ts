/** Accounting served by `GET /__sim/stats`: what a pipeline cost the vendor and how it behaved. */
export interface SimStats {
  /** Billed generations (creates and remixes that made a new video; idempotent replays excluded). */
  videosCreated: number;
  /** Sum of `seconds` over billed generations. */
  billedSeconds: number;
  /** `POST /v1/videos` requests received, whatever their outcome. */
  createRequests: number;
  /** `POST /v1/videos/{id}/remix` requests received. */
  remixRequests: number;
  /** `GET /v1/videos/{id}` requests received. */
  retrieveRequests: number;
  /** `GET /v1/videos/{id}/content` requests received. */
  contentRequests: number;
  /** `GET /v1/videos` requests received. */
  listRequests: number;
  /** `DELETE /v1/videos/{id}` requests received. */
  deleteRequests: number;
  /** `POST /v1/moderations` requests received. */
  moderationRequests: number;
  /** Creates answered with an existing video because of a repeated Idempotency-Key. */
  idempotentReplays: number;
  /** 429 replies served (rate limit, in-flight cap, quota). */
  rateLimited: number;
  /** 5xx replies served (injected or not). */
  serverErrors: number;
  /** Connections reset on purpose (resetRate, lostCreateRate). */
  connectionResets: number;
  /** Content downloads cut short on purpose (dropDownloadRate). */
  downloadsDropped: number;
  /** Generations unfinished right now. */
  inFlight: number;
  /** Most generations unfinished (queued or in progress) at once, over all keys. */
  maxInFlight: number;
  /** Most create requests (create + remix, any outcome, all keys) seen within any `windowMs`. */
  maxCreatesInWindow: number;
  /** Generations that ended completed / failed. */
  videosCompleted: number;
  videosFailed: number;
  /** Webhook deliveries answered 2xx (duplicates included). */
  webhooksDelivered: number;
  /** Webhook attempts that failed (non-2xx or network error). */
  webhookAttemptsFailed: number;
  /** Webhook events given up on after `webhookMaxAttempts`. */
  webhooksAbandoned: number;
}

export function emptyStats(): SimStats {
  return {
    videosCreated: 0,
    billedSeconds: 0,
    createRequests: 0,
    remixRequests: 0,
    retrieveRequests: 0,
    contentRequests: 0,
    listRequests: 0,
    deleteRequests: 0,
    moderationRequests: 0,
    idempotentReplays: 0,
    rateLimited: 0,
    serverErrors: 0,
    connectionResets: 0,
    downloadsDropped: 0,
    inFlight: 0,
    maxInFlight: 0,
    maxCreatesInWindow: 0,
    videosCompleted: 0,
    videosFailed: 0,
    webhooksDelivered: 0,
    webhookAttemptsFailed: 0,
    webhooksAbandoned: 0,
  };
}
