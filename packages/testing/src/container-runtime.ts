import type { ContainerRuntimeClient } from 'testcontainers';

/**
 * Without a Docker engine, testcontainers fails in a few milliseconds ("Could not find a working
 * container runtime strategy"). A DOCKER_HOST pointing at a host that never answers could hang
 * instead, so the probe has its own cap: a fixture falls through to the next backend rather than
 * stalling the whole test run.
 */
const PROBE_TIMEOUT_MS = 5_000;

export type RuntimeProbe = { ok: true; client: ContainerRuntimeClient } | { ok: false; reason: string };

let probe: Promise<RuntimeProbe> | undefined;

/** Whether a container runtime answers; probed once per process (the answer does not change mid-run). */
export function probeContainerRuntime(): Promise<RuntimeProbe> {
  probe ??= runProbe();
  return probe;
}

async function runProbe(): Promise<RuntimeProbe> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<RuntimeProbe>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `no answer within ${PROBE_TIMEOUT_MS} ms` }),
      PROBE_TIMEOUT_MS,
    );
    timer.unref();
  });
  const attempt = (async (): Promise<RuntimeProbe> => {
    try {
      // Imported lazily: testcontainers takes ~0.5 s to load and most runs never need it.
      const { getContainerRuntimeClient } = await import('testcontainers');
      return { ok: true, client: await getContainerRuntimeClient() };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
