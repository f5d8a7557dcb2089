/**
 * A one-line progress bar on stderr: counts, rate and ETA. Redrawn in place on a TTY; on a pipe or a
 * file only the final line is written (a log full of carriage returns helps nobody).
 */
export class ProgressBar {
  private readonly total: number;
  private readonly started = performance.now();
  private readonly tty: boolean;
  /** What the second count is: `rejected` while enqueueing, `failed` while waiting. */
  private readonly failedLabel: string;
  private last = '';

  constructor(total: number, tty = Boolean(process.stderr.isTTY), failedLabel = 'rejected') {
    this.total = total;
    this.tty = tty;
    this.failedLabel = failedLabel;
  }

  line(done: number, failed: number): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const width = 24;
    const filled = this.total > 0 ? Math.round((done / this.total) * width) : width;
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    return `[${bar}] ${done}/${this.total} (${failed} ${this.failedLabel}) ${rate.toFixed(0)}/s ETA ${eta.toFixed(1)}s`;
  }

  update(done: number, failed: number): void {
    this.last = this.line(done, failed);
    if (this.tty) process.stderr.write(`\r${this.last}`);
  }

  finish(): void {
    process.stderr.write(this.tty ? '\n' : `${this.last}\n`);
  }
}
