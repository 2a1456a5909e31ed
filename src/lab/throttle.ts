/**
 * Passes requests on at most once every `intervalMs`: the first of a burst at once, the last one
 * when the interval is over (never lost). During a run the kernel's events come several times a
 * frame; views that redraw much (the workflow panel's rows and wiring picture, every badge's
 * freshness) follow them at this pace, while the one badge an event is about changes at once.
 *
 * @example
 * const redraw = new Throttle(() => this.update(), 200);
 * model.changed.connect(() => redraw.request());
 */
export class Throttle {
  private last = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pass: () => void,
    private readonly intervalMs: number,
  ) {}

  /** Passes the request on now, or once the interval since the last one is over. */
  request(): void {
    if (this.timer !== undefined) return;
    const wait = this.last + this.intervalMs - performance.now();
    if (wait <= 0) {
      this.passOn();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.passOn();
    }, wait);
  }

  private passOn(): void {
    this.last = performance.now();
    this.pass();
  }

  /** Drops a request waiting for its turn. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
