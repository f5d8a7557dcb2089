import { FlagError, HELP, parseFlags } from './cli-flags.ts';
import { createSimulator } from './simulator.ts';

// Process entry. The first stdout line is the machine-readable `listening` event that fixtures and the
// CLI wait for; nothing else is printed to stdout before it.

let parsed: ReturnType<typeof parseFlags>;
try {
  parsed = parseFlags(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof FlagError)) throw error;
  process.stderr.write(`provider-sim: ${error.message}\n(see --help)\n`);
  process.exit(2);
}

if (parsed.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

// Handlers go in before the server starts, so a signal during start-up still ends in a clean close.
const starting = createSimulator(parsed.options);
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await (await starting).close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

const sim = await starting;
if (!stopping) process.stdout.write(`${JSON.stringify({ event: 'listening', url: sim.url })}\n`);
