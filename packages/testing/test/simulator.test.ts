import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatorFixture, simulatorFlags, startSimulator } from '../src/index.ts';

const sims: SimulatorFixture[] = [];
afterEach(async () => {
  for (const sim of sims.splice(0)) await sim.stop();
});

async function sim(flags?: Record<string, string | number | boolean>): Promise<SimulatorFixture> {
  const started = await startSimulator({ flags });
  sims.push(started);
  return started;
}

async function getJson(url: string, apiKey?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('simulatorFlags', () => {
  it('turns config keys into kebab-case flags, booleans into --x / --no-x', () => {
    expect(
      simulatorFlags({ createRpm: 5, timeScale: 0.5, idempotency: false, quotaExhausted: true }),
    ).toEqual(['--create-rpm', '5', '--time-scale', '0.5', '--no-idempotency', '--quota-exhausted']);
  });
});

describe('startSimulator', () => {
  it('starts the simulator on a free port with the given flags', async () => {
    const started = await sim({ timeScale: 100, videoBytes: 4096, idempotency: false });
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.baseURL).toBe(`${started.url}/v1`);
    expect(started.apiKey).toBe('sk-sim-test');
    expect(await getJson(`${started.url}/__sim/config`)).toMatchObject({
      timeScale: 100,
      videoBytes: 4096,
      idempotency: false,
    });
  });

  it('reads stats, applies configure() and reset() over HTTP', async () => {
    const started = await sim();
    await getJson(`${started.baseURL}/videos`, started.apiKey);
    await getJson(`${started.baseURL}/videos`, started.apiKey);
    expect(await started.stats()).toMatchObject({ listRequests: 2 });

    await started.configure({ createRpm: 7 });
    expect(await getJson(`${started.url}/__sim/config`)).toMatchObject({ createRpm: 7 });
    await expect(started.configure({ createRpm: 'lots' })).rejects.toThrow(/HTTP 400/);

    await started.reset();
    expect(await started.stats()).toMatchObject({ listRequests: 0 });
  });

  it('stop() and kill() end the process: the URL stops answering', async () => {
    const a = await startSimulator();
    const b = await startSimulator();
    await a.stop();
    await b.kill();
    await expect(fetch(`${a.url}/__sim/stats`)).rejects.toThrow();
    await expect(fetch(`${b.url}/__sim/stats`)).rejects.toThrow();
  });

  it('fails with the simulator’s own message when it cannot start', async () => {
    await expect(startSimulator({ flags: { createRpm: 'not-a-number' } })).rejects.toThrow(/create-rpm/);
  });
});
