import { type WriteStream, createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatLogLine } from './log-format.ts';

/** What reaches the terminal from the children; the log files always get everything. */
export type TerminalLogs = 'all' | 'warn' | 'none';

/**
 * Where the children's output goes: every line, raw, to `<logDir>/<app>.log`; on the terminal
 * (stderr, so that the CLI's own report on stdout stays clean for pipes) the lines at or above the
 * chosen level, prefixed with the app's name.
 */
export class ChildOutput {
  readonly logDir: string;
  private readonly terminal: TerminalLogs;
  private readonly files = new Map<string, WriteStream>();

  constructor(logDir: string, terminal: TerminalLogs) {
    this.logDir = logDir;
    this.terminal = terminal;
    mkdirSync(logDir, { recursive: true });
  }

  line(app: string, stream: 'stdout' | 'stderr', text: string): void {
    this.file(app).write(`${text}\n`);
    if (this.terminal === 'none') return;
    const formatted = formatLogLine(text, stream);
    if (this.terminal === 'warn' && formatted.level < 40) return;
    process.stderr.write(`[${app}] ${formatted.text}\n`);
  }

  logFile(app: string): string {
    return join(this.logDir, `${app}.log`);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.files.values()].map((file) => new Promise<void>((resolve) => file.end(() => resolve()))),
    );
    this.files.clear();
  }

  private file(app: string): WriteStream {
    let file = this.files.get(app);
    if (!file) {
      file = createWriteStream(this.logFile(app), { flags: 'a' });
      this.files.set(app, file);
    }
    return file;
  }
}
