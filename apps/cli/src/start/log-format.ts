/** pino's numeric levels. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every pino line has; repeating them on a terminal only adds noise. */
const BORING = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

export interface FormattedLine {
  text: string;
  /** pino level number; plain lines count as info (stdout) or warn (stderr). */
  level: number;
}

/**
 * A child's output line for a terminal: a pino JSON line becomes `LEVEL message key=value …`, any
 * other line passes unchanged. The children log JSON (LOG_FORMAT=json) because that is what the log
 * files keep and what a log shipper would want; this is only the terminal view of it.
 */
export function formatLogLine(line: string, stream: 'stdout' | 'stderr'): FormattedLine {
  const plain = { text: line, level: stream === 'stderr' ? 40 : 30 };
  if (!line.startsWith('{')) return plain;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return plain;
  }
  if (typeof parsed !== 'object' || parsed === null) return plain;
  const entry = parsed as Record<string, unknown>;
  if (typeof entry['level'] !== 'number' || typeof entry['msg'] !== 'string') return plain;
  const level = entry['level'];
  const fields = Object.entries(entry)
    .filter(([key]) => !BORING.has(key))
    .map(([key, value]) => `${key}=${render(value)}`);
  const label = (LEVELS[level] ?? String(level)).padEnd(5);
  return { text: [label, entry['msg'], ...fields].join(' '), level };
}

function render(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  ) {
    return JSON.stringify((value as { message: string }).message);
  }
  return JSON.stringify(value);
}
