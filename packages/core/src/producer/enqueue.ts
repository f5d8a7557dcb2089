import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type GenerationRequest,
  type GenerationRequestInput,
  generationRequestSchema,
  jobIdFor,
} from '../catalog.ts';
import { type ReelayError, ValidationError } from '../errors.ts';
import { generationIdFor, newGenerationId } from '../ids.ts';
import type { RequestMapping } from '../record.ts';
import type { GenerationStatus } from '../status.ts';
import { startGenerationSpans } from '../telemetry/generation-spans.ts';
import { FairPush } from './fair-push.ts';
import { MAX_PRIORITY, PARK_DELAY_MS, type ProducerContext } from './producer-options.ts';

export interface EnqueueOptions {
  /** Same key (per tenant) → same generation, however often it is sent. */
  idempotencyKey?: string;
  tenant?: string;
  metadata?: Record<string, string>;
  /**
   * Order within the tenant: lower first, 0 (the default) before any other, then arrival order.
   * Integer 0 … 2,097,151 (BullMQ's priority range). Tenants share the provider by weight whatever
   * their priorities (see the pipeline's fairness/README.md).
   */
  priority?: number;
  /** Where the result is posted; checked by the caller (the notify stage checks it again). */
  callbackUrl?: string;
  /** How friendly parameters were mapped (recorded on the generation). */
  mapping?: RequestMapping[];
  campaignId?: string;
}

export interface EnqueueResult {
  id: string;
  status: GenerationStatus;
  /** False when an earlier call with the same idempotency key had already created it. */
  created: boolean;
}

/** A request already validated, with its id chosen: what the bulk path writes. */
export interface PreparedEnqueue {
  id: string;
  tenant: string;
  request: GenerationRequest;
  priority: number;
  options: EnqueueOptions;
}

type Issue = { path: string; message: string };

/** Checks a request and a priority; throws a ValidationError naming every bad field. */
export function validateEnqueue(input: unknown, priority: unknown = 0): GenerationRequest {
  const parsed = generationRequestSchema.safeParse(input);
  const issues: Issue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(request)',
        message: i.message,
      }));
  if (
    typeof priority !== 'number' ||
    !Number.isInteger(priority) ||
    priority < 0 ||
    priority > MAX_PRIORITY
  ) {
    issues.push({ path: 'priority', message: `must be an integer from 0 to ${MAX_PRIORITY}` });
  }
  if (!parsed.success || issues.length > 0) {
    throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  return parsed.data;
}

/** Validates and picks the id (derived from the idempotency key, or fresh). */
export function prepareEnqueue(
  ctx: Pick<ProducerContext, 'options'>,
  input: GenerationRequestInput,
  options: EnqueueOptions = {},
): PreparedEnqueue {
  const priority = options.priority ?? 0;
  const request = validateEnqueue(input, priority);
  const tenant = options.tenant ?? ctx.options.defaultTenant;
  const id = options.idempotencyKey ? generationIdFor(tenant, options.idempotencyKey) : newGenerationId();
  return { id, tenant, request, priority, options };
}

/**
 * validate → create the generation record → hand it to the submit stage. Invalid input throws a
 * ValidationError naming the field and enqueues nothing.
 *
 * With a fair dispatcher running (its presence key lives), the generation joins its tenant's backlog
 * and its submit job is added *parked* (delayed far ahead): the dispatcher promotes it when its fair
 * turn comes. Without one, the submit job is added ready, FIFO (BullMQ priority within the queue).
 * Both adds use the generation id as job id, so repeating an enqueue adds nothing twice.
 *
 * A crash between the record and the job leaves a `queued` record without a job; sending the same
 * idempotency key again repairs it, and the submit worker's sweeper does it otherwise. A crash between
 * the backlog push and the job add is repaired by the dispatcher (it adds a missing job on release).
 */
export async function enqueueGeneration(
  ctx: ProducerContext,
  input: GenerationRequestInput,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const [result] = await enqueuePrepared(ctx, [prepareEnqueue(ctx, input, options)]);
  if (!result) throw new Error('enqueue returned no result');
  if ('error' in result) throw result.error;
  return result;
}

/**
 * The bulk path. Results in input order; an idempotency-key conflict is that item's error.
 *
 * Usually one round trip: when the store and the submit queue share a connection (the client's case),
 * no item carries an idempotency key (fresh ids: every record is created, `queued`) and no fair
 * dispatcher was alive at the last look, the records, a presence check and the ready submit jobs
 * are all sent before any reply is awaited. Redis runs one connection's commands in order, so each
 * record is written before its job; should the record write fail, a job without a record is a no-op
 * for the submit stage. A dispatcher that came alive meanwhile finds these jobs ready (FIFO), as with
 * any enqueue made before it started; the presence seen here steers the next call.
 *
 * Otherwise two: the records with the presence check, then the backlog pushes and the submit jobs
 * (an idempotent repeat must not re-add work for a record that has moved on).
 */
export async function enqueuePrepared(
  ctx: ProducerContext,
  items: readonly PreparedEnqueue[],
): Promise<Array<EnqueueResult | { error: ReelayError }>> {
  if (items.length === 0) return [];
  const redis = connectionOf(ctx.queues.submit);
  if (!redis) {
    const results = await createRecords(ctx, items);
    await addSubmitJobs(ctx, items, results);
    return results;
  }
  const presence = presenceFor(redis, ctx.store.prefix);
  if (
    ctx.sharedConnection === true &&
    presence.trustAbsent() &&
    items.every((item) => item.options.idempotencyKey === undefined)
  ) {
    const traces = startGenerationSpans(ctx.queues.submit.opts.telemetry, items);
    holdWritesForThisTurn(redis, items.length);
    const [records, alive, jobs] = await Promise.allSettled([
      createRecords(ctx, items),
      redis.exists(presence.key),
      addJobs(
        ctx.queues.submit,
        items.map((item, i) => submitJob(item, false, traces?.metadata(i))),
      ),
    ]);
    traces?.end();
    if (alive.status === 'fulfilled') presence.saw(alive.value === 1);
    if (records.status === 'rejected') throw records.reason;
    // Records written, jobs not: `queued` records without a job, which the sweeper repairs.
    if (jobs.status === 'rejected') throw jobs.reason;
    return records.value;
  }
  const [results, alive] = await Promise.all([createRecords(ctx, items), redis.exists(presence.key)]);
  presence.saw(alive === 1);
  await addSubmitJobs(ctx, items, results, alive === 1);
  return results;
}

/**
 * A submit job for a generation: ready (FIFO, BullMQ priority), or parked for the fair dispatcher.
 * `trace`: its own trace context when tracing is on (see telemetry/generation-spans.ts).
 */
function submitJob(item: PreparedEnqueue, parked: boolean, trace?: string) {
  const jobId = jobIdFor(item.id, 0);
  const telemetry = trace === undefined ? {} : { telemetry: { metadata: trace } };
  return {
    name: 'submit',
    data: { generationId: item.id, round: 0 },
    opts: parked
      ? { jobId, delay: PARK_DELAY_MS, ...telemetry }
      : { jobId, ...(item.priority > 0 ? { priority: item.priority } : {}), ...telemetry },
  };
}

/**
 * The last presence check of the fair dispatcher seen per connection and prefix. A check that found
 * none is trusted this long; after that (or before any check) a create checks before it adds.
 */
const PRESENCE_TRUST_MS = 1000;
const presences = new WeakMap<Redis, Map<string, PresenceView>>();

class PresenceView {
  readonly key: string;
  private absentAt = Number.NEGATIVE_INFINITY;
  constructor(key: string) {
    this.key = key;
  }
  saw(alive: boolean): void {
    this.absentAt = alive ? Number.NEGATIVE_INFINITY : Date.now();
  }
  trustAbsent(): boolean {
    return Date.now() - this.absentAt < PRESENCE_TRUST_MS;
  }
}

function presenceFor(redis: Redis, prefix: string): PresenceView {
  let byPrefix = presences.get(redis);
  if (!byPrefix) {
    byPrefix = new Map();
    presences.set(redis, byPrefix);
  }
  let view = byPrefix.get(prefix);
  if (!view) {
    view = new PresenceView(new FairPush(redis, prefix).presenceKey);
    byPrefix.set(prefix, view);
  }
  return view;
}

/** Step 1 of the bulk path: the records, in one script call. */
export async function createRecords(
  ctx: ProducerContext,
  items: readonly PreparedEnqueue[],
): Promise<Array<EnqueueResult | { error: ReelayError }>> {
  const inputs = items.map((item) => ({
    id: item.id,
    tenant: item.tenant,
    request: item.request,
    provider: ctx.options.providerName,
    ...(item.options.idempotencyKey !== undefined ? { idempotencyKey: item.options.idempotencyKey } : {}),
    ...(item.options.metadata !== undefined ? { metadata: item.options.metadata } : {}),
    ...(item.options.callbackUrl !== undefined ? { callbackUrl: item.options.callbackUrl } : {}),
    ...(item.options.mapping !== undefined ? { mapping: item.options.mapping } : {}),
    ...(item.options.campaignId !== undefined ? { campaignId: item.options.campaignId } : {}),
  }));
  // One record: the single-record script (the path every plain enqueue has always taken).
  if (inputs.length === 1) return [await ctx.store.create(inputs[0]!)];
  return ctx.store.createMany(inputs);
}

/**
 * Step 2: backlog pushes and submit jobs for the items whose record is (still) queued. Re-adding a
 * still-queued one repairs a crash between record and job (adds are idempotent by id). `alive`: the
 * dispatcher's presence if the caller has just checked it (saves the check).
 */
export async function addSubmitJobs(
  ctx: ProducerContext,
  items: readonly PreparedEnqueue[],
  results: ReadonlyArray<EnqueueResult | { error: ReelayError }>,
  alive?: boolean,
): Promise<void> {
  const toAdd = items.filter((_, i) => {
    const r = results[i];
    return r !== undefined && !('error' in r) && r.status === 'queued';
  });
  if (toAdd.length === 0) return;
  const queue = ctx.queues.submit;
  const redis = connectionOf(queue);
  const codes =
    redis && alive !== false
      ? await new FairPush(redis, ctx.store.prefix).pushMany(
          toAdd.map((i) => ({ generationId: i.id, tenant: i.tenant, priority: i.priority })),
          alive,
        )
      : toAdd.map(() => 0);
  const traces = startGenerationSpans(queue.opts.telemetry, toAdd);
  if (redis) holdWritesForThisTurn(redis, toAdd.length);
  try {
    await addJobs(
      queue,
      toAdd.map((item, i) => submitJob(item, codes[i] !== 0, traces?.metadata(i))),
    );
  } finally {
    traces?.end();
  }
}

/**
 * Adds the jobs one `add` each, all sent at once, rather than with `addBulk`: addBulk wraps them in
 * MULTI/EXEC — a pipeline object per call and a QUEUED reply per job — and buys an atomicity these
 * jobs do not need (each stands alone; a record whose job was not added is repaired by the sweeper).
 * Measured: createMany of 20,000 in chunks of 1,000 +5–8 %, the api's create +5 %. With tracing on,
 * `addBulk` stays: `add` would make a producer span per job and put its context on the job in place of
 * the generation's own (see telemetry/generation-spans.ts).
 */
function addJobs(queue: Queue, jobs: ReadonlyArray<ReturnType<typeof submitJob>>): Promise<unknown> {
  if (queue.opts.telemetry !== undefined) return queue.addBulk([...jobs]);
  return Promise.all(jobs.map((job) => queue.add(job.name, job.data, job.opts)));
}

/**
 * Largest batch whose writes are held for one `writev` (below). A bigger one (a bulk import's chunk
 * of 1,000) is better streamed: Redis starts on the first jobs while this process still encodes the
 * rest. Measured: the api's creates (batches of ~10–50) use 9–30 % less CPU held; createMany of
 * 20,000 in chunks of 1,000 ran at 0.50 of raw addBulk held against 0.77 streamed.
 */
const HOLD_WRITES_MAX_ITEMS = 128;

/**
 * Holds the connection's writes until the end of this event-loop turn (`setImmediate`), so the
 * commands a batch issues now — the records' script call, the presence check and one `add` per job,
 * each written by ioredis as it is called — leave in one `writev` instead of a syscall each. Nothing
 * waits longer than the turn; a connection that is not ready is left alone (ioredis queues offline),
 * and so is a batch of more than HOLD_WRITES_MAX_ITEMS `items`.
 */
function holdWritesForThisTurn(redis: Redis, items: number): void {
  if (items > HOLD_WRITES_MAX_ITEMS) return;
  const stream = redis.status === 'ready' ? redis.stream : undefined;
  if (stream === undefined) return;
  stream.cork();
  setImmediate(() => stream.uncork());
}

/**
 * The ioredis connection the queue was built on (`createStageQueues` always passes one). A queue built
 * from connection options has none to share: its enqueues skip the fair backlog (FIFO).
 */
export function connectionOf(queue: Queue): Redis | null {
  const connection = queue.opts.connection as Partial<Redis> | undefined;
  return typeof connection?.defineCommand === 'function' ? (connection as Redis) : null;
}
