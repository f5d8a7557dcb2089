import type { AddressInfo } from 'node:net';
import { buildApp } from './http/app.ts';
import { resolveOptions, type SimConfig, type SimulatorOptions } from './sim-options.ts';
import { SimState } from './sim-state.ts';
import type { SimStats } from './stats.ts';

export interface Simulator {
  /** Base URL without `/v1`, e.g. `http://127.0.0.1:4321`; the SDK's baseURL is `${url}/v1`. */
  readonly url: string;
  readonly port: number;
  /** The seed in use (random unless given): pass it back to replay a run. */
  readonly seed: string;
  /** Stops timers and webhooks, closes every connection. */
  close(): Promise<void>;
  stats(): SimStats;
  /** The current config (a copy). */
  config(): SimConfig;
  /** Changes config at run time; throws on a bad key or value. */
  configure(patch: Partial<SimConfig>): void;
  /** Clears videos, limits, counters and queued webhooks; the config stays. */
  reset(): void;
}

export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const resolved = resolveOptions(options);
  const state = new SimState(resolved);
  const app = await buildApp(state);
  await app.listen({ port: resolved.port, host: resolved.host });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    seed: resolved.seed,
    close: () => {
      closing ??= (async () => {
        state.close();
        await app.close();
      })();
      return closing;
    },
    stats: () => state.snapshot(),
    config: () => ({ ...state.config }),
    configure: (patch) => {
      state.configure(patch);
    },
    reset: () => state.reset(),
  };
}
