/**
 * Route handlers are plain functions from a framework-free request to `{status, body}`; app.ts is the
 * only file that knows Fastify (the bull-board habit), so a handler is testable and portable as is.
 */
export interface HandlerResult {
  status: number;
  /** JSON-serialisable, or a Readable (streamed as is, e.g. a video). */
  body: unknown;
  /** Extra response headers (`retry-after`, `location`, `content-type` of a stream…). */
  headers?: Record<string, string>;
}

export interface HandlerRequest {
  /** The body exactly as received: signatures are computed over these bytes, not a re-serialisation. */
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Handler = (request: HandlerRequest) => Promise<HandlerResult>;
