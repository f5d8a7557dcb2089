import type { Caller } from '../auth/api-keys.ts';
import type { HandlerResult } from '../routes/handler.ts';

/** A producer API request, after authentication: handlers never see the key, only its tenant. */
export interface ProducerRequest {
  caller: Caller;
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** The parsed JSON body (undefined when none was sent). */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export type ProducerHandler = (request: ProducerRequest) => Promise<HandlerResult>;
