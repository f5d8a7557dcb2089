#!/usr/bin/env node
// The worker's launcher: `node apps/worker/bin/reelay-worker.js [--stage …]` (what the image, Compose,
// Kubernetes, the CLI and the benchmarks run). Plain JavaScript on purpose: Node strips the types of a
// `.ts` file with a WebAssembly compiler (amaro) that it loads on the first such file and keeps for the
// life of the process — ≈ 17 MB of resident memory. With Node's compile cache on before any `.ts` file
// loads, every source whose stripped form (and V8 code) is cached is served from the cache, so a warm
// start never loads that compiler and compiles less: a download worker idles at ≈ 113 MB instead of
// ≈ 141 MB. The cache lives in `NODE_COMPILE_CACHE` if set, else `<os tmpdir>/node-compile-cache`;
// `NODE_DISABLE_COMPILE_CACHE=1` turns it off. A directory that cannot be written only costs the saving.
import { enableCompileCache, flushCompileCache } from 'node:module';

enableCompileCache();
await import('../src/main.ts');
// main.ts resolves once the worker is ready: write the cache now, so that a process later killed
// (SIGKILL, OOM) still leaves it for the next start.
flushCompileCache();
