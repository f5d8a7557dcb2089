import type { PipelineServices, WorkerProcess } from '@reelay/testing';
import type { Rng } from './scale.ts';

/**
 * Worker processes by stage, kept running: a slot whose process died (was killed) gets a new one at
 * once, as a Deployment's ReplicaSet would. `killRandom` SIGKILLs one ready process, never the last
 * ready one of its stage, so the stage's work is always picked up by someone while the victim restarts.
 */
export interface WorkerPool {
  /** Processes killed by `killRandom`. */
  kills(): number;
  /** Processes started, the first ones included. */
  starts(): number;
  /** Kills by stage. */
  killsByStage(): Record<string, number>;
  killRandom(rng: Rng): Promise<WorkerProcess | undefined>;
  /** Stops restarting; the processes stay up until the stack closes. */
  stop(): void;
}

interface Slot {
  stage: string;
  proc: WorkerProcess | undefined;
}

export async function startWorkerPool(
  services: PipelineServices,
  layout: Record<string, number>,
  env: Record<string, string> = {},
): Promise<WorkerPool> {
  const slots: Slot[] = Object.entries(layout).flatMap(([stage, count]) =>
    Array.from({ length: count }, () => ({ stage, proc: undefined })),
  );
  let stopping = false;
  let kills = 0;
  let starts = 0;
  const killsByStage: Record<string, number> = {};
  const keep = async (slot: Slot): Promise<void> => {
    while (!stopping) {
      try {
        starts++;
        const proc = await services.start(slot.stage, env);
        slot.proc = proc;
        await proc.exited;
        slot.proc = undefined;
      } catch (error) {
        // Killed before it was ready, or it could not start: start another (a start failure is visible
        // in the scenario's figures as a stuck or lost generation, never hidden).
        if (stopping) return;
        process.stderr.write(
          `[chaos] worker ${slot.stage} failed to start: ${(error as Error).message.slice(0, 300)}\n`,
        );
      }
    }
  };
  const first = slots.map(async (slot) => {
    starts++;
    slot.proc = await services.start(slot.stage, env);
    void slot.proc.exited.then(() => {
      slot.proc = undefined;
      if (!stopping) void keep(slot);
    });
  });
  await Promise.all(first);
  const ready = (slot: Slot) => slot.proc !== undefined && slot.proc.child.exitCode === null;
  return {
    kills: () => kills,
    starts: () => starts,
    killsByStage: () => ({ ...killsByStage }),
    async killRandom(rng) {
      const candidates = slots.filter(
        (slot) =>
          ready(slot) && slots.some((other) => other !== slot && other.stage === slot.stage && ready(other)),
      );
      if (candidates.length === 0) return undefined;
      const victim = rng.pick(candidates);
      const proc = victim.proc!;
      kills++;
      killsByStage[victim.stage] = (killsByStage[victim.stage] ?? 0) + 1;
      await proc.kill();
      return proc;
    },
    stop() {
      stopping = true;
    },
  };
}

/**
 * Runs `fault` at random intervals of `minMs`..`maxMs` (from the seeded source) until stopped: a
 * fault schedule, not a wait for a condition.
 */
export function every(rng: Rng, minMs: number, maxMs: number, fault: () => Promise<unknown> | unknown) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, rng.int(minMs, maxMs));
      });
      if (stopped) break;
      await fault();
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
