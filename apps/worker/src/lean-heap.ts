import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Evaluated first by main.ts: makes V8's young generation grow in steps of 2× instead of its default
 * (`--semi-space-growth-factor=2`) in a process that runs the download stage (`REELAY_LEAN_HEAP=
 * true|false` forces it on or off for any process). "First" is after the whole module graph has
 * loaded (ESM links every import before it runs any), by when startup has grown it to 2 × 8 MB; V8
 * shrinks it to 2 × 1 MB after some idle seconds.
 *
 * Why: under a high allocation rate V8 grows the young generation to tens of MB, and the download
 * stage allocates fast — every socket read of a streamed video is a fresh 64 KiB buffer. A larger
 * young generation means rarer scavenges, so both the heap and the dead buffers it has not yet swept
 * stay resident: streaming 4 × 256 MiB took the process from ≈ 150 MB to ≈ 300 MB. Not 1 (no growth
 * at all, as before): a worker that had idled long enough for the shrink then streamed with a 1 MB
 * young generation for good — scavenges every MB, their survivors promoted, full GCs — at 2.5× the
 * CPU and half the speed. The download bench's worker idled 20 s before its 8 × 256 MiB (2 runs
 * each): growth factor 1 → 0.57–0.58 of the plain copy, 2 → 0.74–0.76 (no lean heap at all: 0.77);
 * fresh, 1.0–1.06 and 0.99–1.27; peak 135–137 and 138–141 MB. Submit and poll gain nothing from it,
 * so they keep V8's default. A heuristic knob, read at each growth decision, so it can be set at run
 * time, so it needs no CLI flag (which every way of starting the worker would have to repeat).
 *
 * The same processes keep WebAssembly in its baseline tier (below), pace young-generation collections
 * by ArrayBuffer memory (`startGcPacer`) and collect startup's garbage once ready (`settleHeap`).
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
if (leanHeap) setFlagsFromString('--semi-space-growth-factor=2');

/**
 * V8 flags that keep WebAssembly in Liftoff, its baseline compiler. Why: fetch parses HTTP with
 * undici's llhttp, a WebAssembly module compiled on the first request; once a download makes it hot,
 * V8 recompiles it with TurboFan on a background thread, whose compiler zone (≈ 9 MB, seen with perf:
 * `Zone::Expand` under `WasmCompilationUnit::ExecuteCompilation` in a V8 worker thread) is malloc'd in
 * that thread's own glibc arena and stays resident after the job ends. Liftoff code is slower, but
 * llhttp only walks headers and counts body bytes. Both flags are needed: either alone still tiers up
 * (dynamic tiering, or an eager TurboFan pass). Read when a module is compiled, so setting them at
 * run time, before the first request, is enough. The download bench's worker (8 × 256 MiB, 4 at a
 * time; its download run alone, 3 runs each): peak RSS 160.4–161.1 → 149.2–152.3 MB, 434–441 →
 * 416–427 MiB/s.
 */
const BASELINE_WASM_FLAGS = ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];
if (leanHeap) for (const flag of BASELINE_WASM_FLAGS) setFlagsFromString(flag);

/** How often the pacer reads the process's external memory, ms. */
const PACE_CHECK_MS = 5;
/**
 * External (ArrayBuffer) memory allocated since the last young-generation collection that makes the
 * pacer run one, bytes. A chunk that survives two collections is promoted, and only a full GC frees
 * it, so the step must stay above what a put holds queued: with the local store's 1 MiB write buffer
 * 8 MiB was best (download bench worker peak RSS, one run each: 4 MiB 195, 8 MiB 166–178, 12 MiB
 * 169, 16 MiB 182 MB; none paced 230–260 MB). With its 512 KiB buffer, baseline WebAssembly and
 * `settleHeap` (download run alone, 3 runs each): 2 MiB 138–142, 3 MiB 135–136, 4 MiB 133–135,
 * 6 MiB 136–139, 8 MiB 138–145 MB.
 */
const PACE_BYTES = 4 * 1024 * 1024;

/**
 * A young-generation GC each time PACE_BYTES of external (ArrayBuffer) memory was allocated since the
 * last one.
 *
 * Why: a streamed download allocates ArrayBuffers fast — undici makes a fresh 64 KiB socket buffer
 * per read and copies each into another for the fetch body's stream — and they die within
 * milliseconds, but V8 counts them only as external memory: it scavenges when the JavaScript heap's
 * young generation fills (rarely: little JavaScript is allocated per chunk), and otherwise frees
 * them in a full GC once external memory has grown by 64 MB. So 4 × 256 MiB at a time kept 60–100 MB
 * of dead buffers, and glibc's heap, once grown to hold them, stays resident. A scavenge frees the
 * young ones within a millisecond or two; one per PACE_BYTES allocated (≈ 60 a second while the
 * bench streams 380 MiB/s) held the download bench's peak to ≈ 35 MB above idle (was ≈ 100) and made
 * its full GCs rare, so it streams no slower. `gc` is V8's own (`--expose-gc`, enabled here at run
 * time and taken from a fresh context, as Node exposes no other way to ask for a young-generation
 * collection). Idle, the check costs a timer tick every PACE_CHECK_MS and never collects.
 */
export function startGcPacer(): NodeJS.Timeout {
  const gc = v8Gc();
  // V8's external memory, ArrayBuffer backing stores among it: it grows with every allocation and
  // falls only when a full GC frees them, so its growth is what was allocated since the last pace.
  // (`process.memoryUsage().arrayBuffers` paced worse: 177–179 MB against 162.)
  const read = () => getHeapStatistics().external_memory;
  let base = read();
  const timer = setInterval(() => {
    const now = read();
    if (now - base >= PACE_BYTES) {
      gc({ type: 'minor' });
      base = read();
    } else if (now < base) {
      // A full GC freed them: measure from the low.
      base = now;
    }
  }, PACE_CHECK_MS);
  timer.unref();
  return timer;
}

/**
 * A full GC, run once the worker is ready (main.ts, in lean-heap processes).
 *
 * Why: loading several hundred modules leaves a few MB of dead objects in the old generation and
 * the young generation's pages all touched; without a full GC before the first download, the
 * download runs on top of them (at its peak the young generation held ≈ 14 MB resident, ≈ 10 MB
 * after this GC). One regular full GC then (≈ 20 ms; heap 29.8 → 25.3 MB) lowered the download bench
 * worker's peak RSS (its download run alone, 3 runs each) from 149.2–152.3 to 144.0–145.5 MB with a
 * 1 MiB write buffer and 8 MiB pacing, and from 141.7–142.9 to 134.0–137.1 MB with 512 KiB and
 * 4 MiB, at the same idle and throughput. A regular GC, not V8's memory-reducing one (`last-resort`):
 * that one also shrinks the young generation to 2 × 1 MB and idles ≈ 16 MB lower, but leaves
 * old-generation limits so tight that some runs spent the download in back-to-back full GCs (60–220
 * of them; 226–256 MiB/s against 360–400).
 */
export function settleHeap(): void {
  v8Gc()({ type: 'major', execution: 'sync' });
}

type V8Gc = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
let exposedGc: V8Gc | undefined;

/** V8's own `gc` (`--expose-gc`, enabled at run time and taken from a fresh context). */
function v8Gc(): V8Gc {
  if (exposedGc === undefined) {
    setFlagsFromString('--expose-gc');
    exposedGc = runInNewContext('gc') as V8Gc;
  }
  return exposedGc;
}

if (leanHeap) startGcPacer();
