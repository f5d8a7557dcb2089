// Preloaded with `--import` into an app process: on exit, writes the URL of every module the process
// loaded to REELAY_TEST_MODULE_LOG, one a line (Node's synchronous module hooks see each load).
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env['REELAY_TEST_MODULE_LOG'];
const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  if (out) writeFileSync(out, `${loaded.join('\n')}\n`);
});
