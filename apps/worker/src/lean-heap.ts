import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before anything allocates much: keeps V8's young generation at its
 * initial size (`--semi-space-growth-factor=1`) unless `REELAY_LEAN_HEAP` is false.
 *
 * Why: under a high allocation rate V8 grows the young generation to tens of MB, and the download
 * stage allocates fast — every socket read of a streamed video is a fresh 64 KiB buffer. A larger
 * young generation means rarer scavenges, so both the heap and the dead buffers it has not yet swept
 * stay resident: streaming 4 × 256 MiB took the process from ≈ 150 MB to ≈ 300 MB. With the growth
 * factor at 1 scavenges stay frequent and cheap (few survivors) and the same run peaks near 210 MB,
 * no slower. A heuristic knob, read at each growth decision, so it can be set at run time; the
 * worker is started as `node apps/worker/src/main.ts` everywhere, so it cannot ride on a CLI flag.
 */
const raw = process.env['REELAY_LEAN_HEAP']?.toLowerCase();
export const leanHeap = raw === undefined || raw === '' || ['true', '1', 'yes', 'on'].includes(raw);
if (leanHeap) setFlagsFromString('--semi-space-growth-factor=1');
