/**
 * Deadlines with sub-millisecond accuracy and no busy waiting, for the paced virtual line.
 *
 * Node's setTimeout works in whole milliseconds against a loop clock cached in whole
 * milliseconds: a 0.1 ms delay takes 1 ms and a long one may fire up to 1 ms early. At
 * 921600 baud a 128-byte block lasts 1.4 ms, so that error would be the measurement. A
 * worker thread sleeps in Atomics.wait (a futex with a fractional timeout) until the
 * earliest deadline, then posts the due ids back; the main thread never spins (the worker
 * spins for the last 0.15 ms only).
 */
import { Worker } from 'node:worker_threads';

/** A monotonic clock in ms shared by every thread (performance.now() has a per-thread origin). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Atomics.wait oversleeps by about 0.1 ms (the kernel's timer slack plus the wake-up), so the
 * worker wakes this much early and watches the clock for the rest: at most this long per chunk.
 */
const WORKER_SPIN_MS = 0.15;

/** A worker's message reaches an idle main loop in about 0.05–0.1 ms (measured on Linux). */
const INITIAL_TRANSIT_MS = 0.07;
const TRANSIT_LEARNING_RATE = 0.05;
const MAX_TRANSIT_SAMPLE_MS = 0.3;

// Plain CommonJS, evaluated in the worker. Idle, it waits on its event loop; with deadlines
// queued it blocks in Atomics.wait, woken early by the main thread when a new one arrives.
const WORKER_SOURCE = `
const SPIN_MS = ${WORKER_SPIN_MS};
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const wakeFlag = new Int32Array(workerData);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const queue = [];
function insert(entry) {
  let i = queue.length;
  while (i > 0 && queue[i - 1].due > entry.due) i--;
  queue.splice(i, 0, entry);
}
function run() {
  while (queue.length > 0) {
    const seen = Atomics.load(wakeFlag, 0);
    for (let m; (m = receiveMessageOnPort(parentPort)); ) insert(m.message);
    const wait = queue[0].due - now();
    if (wait > SPIN_MS) {
      Atomics.wait(wakeFlag, 0, seen, wait - SPIN_MS);
      continue;
    }
    while (now() < queue[0].due) {}
    const due = [];
    const t = now();
    while (queue.length > 0 && queue[0].due <= t) due.push(queue.shift().id);
    parentPort.postMessage({ due, postedAt: now() });
  }
}
parentPort.on('message', (entry) => { insert(entry); run(); });
`;

class PreciseTimers {
  private worker: Worker | undefined;
  private failed = false;
  private readonly wakeFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<number, () => void>();
  private nextId = 1;
  /** How long a message from the worker takes to run here; deadlines are sent this much early. */
  private transitMs = INITIAL_TRANSIT_MS;

  /** Starts the worker ahead of the first deadline (it takes tens of ms to boot). */
  warmUp(): void {
    this.ensureWorker();
  }

  /** Calls `fn` when monotonicMs() reaches `dueMs`; callbacks with equal deadlines keep their order. */
  at(dueMs: number, fn: () => void): void {
    const worker = this.ensureWorker();
    if (!worker) {
      setTimeout(fn, Math.max(0, dueMs - monotonicMs()));
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, fn);
    // Keep the process alive while a delivery is due, as a pending setTimeout would.
    if (this.pending.size === 1) worker.ref();
    worker.postMessage({ id, due: dueMs - this.transitMs });
    Atomics.add(this.wakeFlag, 0, 1);
    Atomics.notify(this.wakeFlag, 0);
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.wakeFlag.buffer });
      worker.unref();
      worker.on('message', (message: { due: number[]; postedAt: number }) => {
        this.learnTransit(monotonicMs() - message.postedAt);
        this.fire(message.due);
      });
      worker.on('error', () => this.fallBack());
      this.worker = worker;
    } catch {
      this.fallBack();
    }
    return this.worker;
  }

  private fire(ids: number[]): void {
    for (const id of ids) {
      const fn = this.pending.get(id);
      this.pending.delete(id);
      fn?.();
    }
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** A running average; samples from a busy machine are capped so one stall does not skew it. */
  private learnTransit(sampleMs: number): void {
    this.transitMs += TRANSIT_LEARNING_RATE * (Math.min(sampleMs, MAX_TRANSIT_SAMPLE_MS) - this.transitMs);
  }

  /** Without workers, ms-accurate timers still deliver everything, in order. */
  private fallBack(): void {
    this.failed = true;
    this.worker = undefined;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const fn of waiting) setTimeout(fn, 0);
  }
}

/** One worker for the whole process, started on first use. */
export const preciseTimers = new PreciseTimers();
