// One line per step: redrawn in place on a terminal, printed once (when done) otherwise, so a CI log
// holds one line per step instead of hundreds of updates.
export class Progress {
  private readonly tty = Boolean(process.stdout.isTTY);
  private live = false;

  update(text: string): void {
    if (!this.tty) return;
    process.stdout.write(`\r\x1b[K${text.slice(0, (process.stdout.columns || 120) - 1)}`);
    this.live = true;
  }

  done(text: string): void {
    if (this.tty && this.live) process.stdout.write('\r\x1b[K');
    this.live = false;
    process.stdout.write(`${text}\n`);
  }
}
