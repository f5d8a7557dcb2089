import { run } from './program.ts';

// A reader that went away (`reelay status … | head`) must not crash the CLI mid-shutdown.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

// Exit explicitly: a command's Redis reconnects or QueueEvents must not keep a finished CLI alive.
process.exit(await run(process.argv));
