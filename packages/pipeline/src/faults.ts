/**
 * TEST-ONLY fault injection. Never set in production.
 *
 * `REELAY_FAULT_CRASH_AFTER_CREATE` = probability in [0, 1] that a submit worker SIGKILLs itself right
 * after the provider accepted a create and before the video id is recorded: the exact window in which
 * a crash would make a naive retry pay twice. The exactly-once test and benchmark set it on submit
 * worker processes to prove the ledger and reconciliation. Read once, at module load, so a run cannot
 * change it and the hot path costs one comparison. Unset, empty, 0 or unparsable = off.
 */
const CRASH_AFTER_CREATE = parseProbability(process.env['REELAY_FAULT_CRASH_AFTER_CREATE']);

function parseProbability(value: string | undefined): number {
  const p = Number(value ?? '0');
  return Number.isFinite(p) ? Math.min(Math.max(p, 0), 1) : 0;
}

/** True when this process should die now (see the file comment). Always false unless the variable is set. */
export function shouldCrashAfterCreate(): boolean {
  return CRASH_AFTER_CREATE > 0 && Math.random() < CRASH_AFTER_CREATE;
}
