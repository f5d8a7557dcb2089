/** The CLI's exit codes: scripts branch on them, so they are part of its contract (README). */
export const EXIT = {
  ok: 0,
  /** The generation failed, was cancelled or timed out; or a looked-up id does not exist. */
  failed: 1,
  /** Bad input: flags, arguments or environment. Nothing was enqueued. */
  badInput: 2,
  /** Redis did not answer. */
  noRedis: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose message is for the user (no stack) and which decides the exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
