/**
 * One direction of a simulated serial line: a line rate and a one-way latency. Each chunk
 * arrives when its last byte would; chunks queue behind each other and keep their order.
 * Used by the virtual binding and by benchmarks that put another program on the same line.
 */
import { monotonicMs, preciseTimers } from './precise-timer.js';

export class PacedLine {
  private freeAt = 0;
  private lastDelivery = Promise.resolve();

  constructor(
    private bytesPerSecond: number | undefined,
    private readonly latencyMs = 0,
  ) {
    if (this.paced) preciseTimers.warmUp();
  }

  get paced(): boolean {
    return Boolean(this.bytesPerSecond) || this.latencyMs > 0;
  }

  /** A new line rate for what is handed on from now (a UART reprogrammed to another baud rate). */
  setBytesPerSecond(bytesPerSecond: number): void {
    this.bytesPerSecond = bytesPerSecond;
    if (this.paced) preciseTimers.warmUp();
  }

  /** Resolves once everything handed to deliver() so far has crossed the line (what tcdrain waits for). */
  drained(): Promise<void> {
    return this.lastDelivery;
  }

  /** Hands `data` to `sink` once it has crossed the line (at once when nothing is paced). */
  deliver(data: Buffer, sink: (data: Buffer) => void): void {
    if (!this.paced) {
      sink(data);
      return;
    }
    const start = Math.max(monotonicMs(), this.freeAt);
    this.freeAt = start + (this.bytesPerSecond ? (data.length * 1000) / this.bytesPerSecond : 0);
    this.lastDelivery = new Promise((resolve) =>
      preciseTimers.at(this.freeAt + this.latencyMs, () => {
        sink(data);
        resolve();
      }),
    );
  }
}
