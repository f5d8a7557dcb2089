// Enforces the dependency arrows of DESIGN.md:
//   core ← providers, storage ← pipeline, client ← apps; no app imports another app;
//   provider-sim imports nothing of ours; testing is a dev dependency only; no cycles.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-app-imports-app',
      comment: 'Apps deploy; nothing imports an app, not even another app.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'chaos-runs-apps-as-processes',
      comment: 'The chaos suite starts apps by path as processes, as in production; it never imports their source.',
      severity: 'error',
      from: { path: '^chaos/' },
      to: { path: '^apps/' },
    },
    {
      name: 'provider-sim-is-an-outsider',
      comment: 'The simulator plays the outside vendor: it imports nothing of ours.',
      severity: 'error',
      from: { path: '^apps/provider-sim/' },
      to: { path: '^packages/' },
    },
    {
      name: 'core-is-the-root',
      severity: 'error',
      from: { path: '^packages/core/src/' },
      to: { path: '^packages/(?!core/)' },
    },
    {
      name: 'providers-and-storage-build-on-core-only',
      severity: 'error',
      from: { path: '^packages/(providers|storage)/src/' },
      to: { path: '^packages/(?!core/|$1/)' },
    },
    {
      name: 'pipeline-builds-on-core-providers-storage',
      severity: 'error',
      from: { path: '^packages/pipeline/src/' },
      to: { path: '^packages/(?!core/|providers/|storage/|pipeline/)' },
    },
    {
      name: 'client-builds-on-core-only',
      severity: 'error',
      from: { path: '^packages/client/src/' },
      to: { path: '^packages/(?!core/|client/)' },
    },
    {
      name: 'testing-is-dev-only',
      comment: 'Fixtures and contract suites are for tests; no shipped source imports them.',
      severity: 'error',
      from: { path: '^(apps|packages)/[^/]+/src/', pathNot: '^packages/testing/' },
      to: { path: '^packages/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.turbo)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'default'] },
  },
};
