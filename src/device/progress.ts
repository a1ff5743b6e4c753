// Speed and time left for long work (flash, backup, upload): a person wants both, not just a bar.

export interface Progress {
  done: number;
  total: number;
  /** bytes of the file per second so far */
  bytesPerSecond: number;
  /** estimate; Infinity until there is a rate */
  secondsLeft: number;
}

export class ProgressMeter {
  private readonly started: number;
  constructor(
    private readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  at(done: number): Progress {
    const seconds = (this.now() - this.started) / 1000;
    const bytesPerSecond = seconds > 0 ? done / seconds : 0;
    const secondsLeft = bytesPerSecond > 0 ? (this.total - done) / bytesPerSecond : Infinity;
    return { done, total: this.total, bytesPerSecond, secondsLeft };
  }
}
