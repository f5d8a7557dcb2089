import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Video } from 'openai/resources/videos';
import { createSimulator, type Simulator, type SimulatorOptions } from '../src/index.ts';

/** A simulator fast enough for tests: 2000x time (a ~70 s generation takes ~35 ms) and a small MP4. */
export async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  return createSimulator({
    timeScale: 2000,
    videoBytes: 64 * 1024,
    ttlSeconds: 1e7,
    seed: 'test',
    ...options,
  });
}

/**
 * One simulator for a test file: started before the first test, closed after the last, and before
 * each test put back into a known state by `prepare` (reset counters, apply the file's settings).
 * The returned handle forwards to that simulator, which exists only once `beforeAll` has run.
 */
export function useSim(prepare: (sim: Simulator) => void, options: SimulatorOptions = {}): Simulator {
  let sim: Simulator | undefined;
  beforeAll(async () => {
    sim = await startSim(options);
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(() => {
    if (sim) prepare(sim);
  });
  return new Proxy({} as Simulator, {
    get(_target, key) {
      if (!sim) throw new Error('the simulator starts in beforeAll');
      const value: unknown = Reflect.get(sim, key);
      return typeof value === 'function' ? value.bind(sim) : value;
    },
  });
}

export function sdk(sim: Simulator, options: { apiKey?: string; maxRetries?: number } = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? 'sk-test',
    baseURL: `${sim.url}/v1`,
    maxRetries: options.maxRetries ?? 0,
  });
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` (no fixed sleeps in tests). */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function waitForStatus(client: OpenAI, id: string, statuses: Video['status'][]): Promise<Video> {
  return waitFor(async () => {
    const video = await client.videos.retrieve(id);
    return statuses.includes(video.status) ? video : undefined;
  });
}

/** Raw HTTP to the simulator, for what the SDK hides (headers, bodies, no-auth calls). */
export async function call(
  sim: Simulator,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; auth?: string | null } = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth !== null) headers['authorization'] = `Bearer ${init.auth ?? 'sk-test'}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${sim.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json, text };
}

export interface Box {
  type: string;
  offset: number;
  size: number;
}

/** Top-level ISO-BMFF boxes (32-bit and 64-bit sizes). */
export function topLevelBoxes(bytes: Buffer): Box[] {
  const boxes: Box[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size < 8) throw new Error(`bad box size ${size} at ${offset}`);
    boxes.push({ type, offset, size });
    offset += size;
  }
  return boxes;
}
