import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before anything allocates much: keeps V8's young generation at its
 * initial size (`--semi-space-growth-factor=1`) in a process that runs the download stage
 * (`REELAY_LEAN_HEAP=true|false` forces it on or off for any process).
 *
 * Why: under a high allocation rate V8 grows the young generation to tens of MB, and the download
 * stage allocates fast — every socket read of a streamed video is a fresh 64 KiB buffer. A larger
 * young generation means rarer scavenges, so both the heap and the dead buffers it has not yet swept
 * stay resident: streaming 4 × 256 MiB took the process from ≈ 150 MB to ≈ 300 MB; with the growth
 * factor at 1 the same run peaks near 210 MB, no slower. Submit and poll gain nothing from it, so they
 * keep V8's default. A heuristic knob, read at each growth decision, so it can be set at run time;
 * the worker is started as `node apps/worker/src/main.ts` everywhere, so it cannot ride on a CLI flag.
 */
export function wantsLeanHeap(argv: readonly string[], env: Record<string, string | undefined>): boolean {
  const forced = env['REELAY_LEAN_HEAP']?.toLowerCase();
  if (forced !== undefined && forced !== '') return ['true', '1', 'yes', 'on'].includes(forced);
  const i = argv.findIndex((a) => a === '--stage' || a.startsWith('--stage='));
  const flag = i < 0 ? undefined : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const stages = (flag ?? env['REELAY_STAGES'] ?? 'all').split(',').map((s) => s.trim());
  return stages.includes('all') || stages.includes('download');
}

export const leanHeap = wantsLeanHeap(process.argv.slice(2), process.env);
if (leanHeap) setFlagsFromString('--semi-space-growth-factor=1');
