import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { APPS } from './lib/apps.ts';
import { reelayServices } from './lib/compose.ts';
import { asRecord, readRepoFile, repoPath } from './lib/files.ts';

// Docker's own .dockerignore semantics (moby's pattern matcher, re-included paths under an excluded
// parent). A CommonJS module whose types declare a default export it does not have: required directly.
const ignore = createRequire(import.meta.url)(
  '@balena/dockerignore',
) as typeof import('@balena/dockerignore').default;

const DOCKERFILE = 'infra/Dockerfile';
const dockerfile = DockerfileParser.parse(readRepoFile(DOCKERFILE));
const dockerignore = ignore().add(readRepoFile('.dockerignore'));
const rootPackage = asRecord(JSON.parse(readRepoFile('package.json')), 'package.json');

/** The value of a build ARG's default (`ARG NAME=value`). */
function argDefault(name: string): string | undefined {
  for (const arg of dockerfile.getARGs()) {
    const property = arg.getProperty();
    if (property?.getName() === name) return property.getValue() ?? undefined;
  }
  return undefined;
}

/** `${NAME}` / `$NAME` replaced by the ARG defaults. */
function expand(text: string): string {
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => argDefault(name) ?? m);
}

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

/** Instructions grouped by the FROM they follow. */
function stages(): Stage[] {
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      result.push({
        name: as >= 0 ? (args[as + 1] ?? null) : null,
        image: expand(args[0] ?? ''),
        instructions: [],
      });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
}

function flags(instruction: Instruction): string[] {
  const withFlags = instruction as Instruction & { getFlags?: () => Array<{ toString(): string }> };
  return (withFlags.getFlags?.() ?? []).map((f) => f.toString());
}

function text(instruction: Instruction): string {
  return expand(instruction.getArgumentsContent() ?? '').replace(/\\\n/g, ' ');
}

/** Every file of the repository's working tree (no .git, no node_modules), relative to the root. */
function workingTree(dir = repoPath()): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === '.git' || name === 'node_modules') return [];
    const abs = join(dir, name);
    return statSync(abs).isDirectory() ? workingTree(abs) : [relative(repoPath(), abs)];
  });
}

const context = workingTree().filter((file) => !dockerignore.ignores(file));

describe('infra/Dockerfile', () => {
  it('is multi-stage: a deps stage with pnpm, and a runtime stage on node:24-slim without it', () => {
    const all = stages();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const runtime = all.at(-1);
    expect(runtime?.image).toBe('node:24-slim');
    const runtimeText = runtime?.instructions.map(text).join('\n') ?? '';
    expect(runtimeText).not.toMatch(/pnpm|npm install|apt-get/);
    // Only the pruned workspace is copied in, from the build stage.
    const copies = runtime?.instructions.filter((i) => i.getKeyword() === 'COPY') ?? [];
    expect(copies.map((c) => [...flags(c), c.getArgumentsContent()].join(' '))).toEqual([
      `--from=${all[0]?.name} /repo /app`,
    ]);
  });

  it('installs with the pnpm of packageManager, from the lockfile, frozen, production dependencies only', () => {
    const deps = stages()[0];
    const run = deps?.instructions.filter((i) => i.getKeyword() === 'RUN').map(text) ?? [];
    const pnpmVersion = String(rootPackage['packageManager']).replace(/^pnpm@/, '');
    expect(
      run.some((r) => r.includes(`npm install --global --no-fund --no-audit "pnpm@${pnpmVersion}"`)),
    ).toBe(true);
    const install = run.find((r) => r.includes('pnpm install'));
    expect(install).toMatch(/--frozen-lockfile/);
    expect(install).toMatch(/--prod/);
    expect(install).toMatch(/--filter "!@reelay\/testing"/);
  });

  it('runs as a non-root user, with a command that is one of the apps', () => {
    const runtime = stages().at(-1);
    const users = runtime?.instructions.filter((i) => i.getKeyword() === 'USER').map(text) ?? [];
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const cmd = runtime?.instructions.find((i) => i.getKeyword() === 'CMD');
    const command = JSON.parse(cmd?.getArgumentsContent() ?? '[]') as string[];
    expect(APPS.map((a) => a.entry)).toContain(command[1]);
  });

  it('warms the worker launcher’s compile cache at build time, where the worker reads it as a non-root user', () => {
    const runtime = stages().at(-1);
    const instructions = runtime?.instructions ?? [];
    const env = instructions
      .filter((i) => i.getKeyword() === 'ENV')
      .map(text)
      .join(' ');
    const cacheDir = /NODE_COMPILE_CACHE=(\S+)/.exec(env)?.[1];
    expect(cacheDir).toMatch(/^\/app\//);
    const worker = APPS.find((a) => a.entry.includes('reelay-worker'))?.entry;
    expect(worker).toBeDefined();
    const warm = instructions.findIndex(
      (i) => i.getKeyword() === 'RUN' && text(i).startsWith(`node ${worker} --help`),
    );
    const user = instructions.findIndex((i) => i.getKeyword() === 'USER');
    // After the sources are copied in (the cache is keyed by their content), before the user switch.
    const copy = instructions.findIndex((i) => i.getKeyword() === 'COPY');
    expect(warm).toBeGreaterThan(copy);
    expect(warm).toBeLessThan(user);
  });

  it('ships no test fixtures: no app has @reelay/testing as a production dependency', () => {
    for (const app of readdirSync(repoPath('apps'))) {
      const pkg = asRecord(JSON.parse(readFileSync(repoPath('apps', app, 'package.json'), 'utf8')), app);
      expect(Object.keys(asRecord(pkg['dependencies'] ?? {}, 'dependencies')), app).not.toContain(
        '@reelay/testing',
      );
    }
  });
});

describe('.dockerignore (the build context)', () => {
  it('keeps the lockfile, the workspace manifests and every workspace package.json (a frozen install needs them all)', () => {
    for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'])
      expect(context).toContain(file);
    const manifests = workingTree().filter((f) =>
      /^(apps|packages)\/[^/]+\/package\.json$|^infra\/package\.json$/.test(f),
    );
    expect(manifests.length).toBeGreaterThan(8);
    for (const file of manifests) expect(context, file).toContain(file);
  });

  it('keeps every entry point Compose runs and the sources of the packages the apps import', () => {
    for (const s of reelayServices()) expect(context, s.name).toContain(s.app.entry);
    for (const pkg of ['core', 'pipeline', 'providers', 'storage']) {
      expect(context, pkg).toContain(`packages/${pkg}/src/index.ts`);
    }
    expect(context).toContain('apps/dashboard/src/hash-password.ts');
  });

  it('leaves out tests, benchmarks, local data, secrets files, node_modules and test fixtures', () => {
    const leaked = context.filter(
      (f) =>
        /(^|\/)(test|bench|data|node_modules|\.turbo|\.reports)\//.test(f) ||
        /\.test\.ts$|(^|\/)\.env/.test(f) ||
        f.startsWith('packages/testing/src/') ||
        f.startsWith('.git'),
    );
    expect(leaked).toEqual([]);
    expect(dockerignore.ignores('node_modules/zod/index.js')).toBe(true);
    expect(dockerignore.ignores('apps/worker/node_modules/.bin/x')).toBe(true);
    expect(dockerignore.ignores('.env')).toBe(true);
  });
});
