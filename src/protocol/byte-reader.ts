/**
 * Reads a byte stream one byte at a time with a timeout, waiting on data events with one
 * timer armed (never polling). Used by the sender and by device profiles that talk to a
 * console before the transfer.
 */
import type { Readable } from 'node:stream';
import { CancelledError, DisconnectedError } from '../errors.js';

/** Returned by `next` when nothing arrived in time. */
export const TIMED_OUT = -1;

export class ByteReader {
  private chunks: Buffer[] = [];
  private offset = 0; // read position inside chunks[0]
  private waiter: (() => void) | undefined;
  private ended: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.wake();
  };
  private readonly onEnd = (error?: Error) => {
    this.ended ??= new DisconnectedError('The device disconnected (it reset, or the cable was pulled); reconnect it and try again.', {}, { cause: error });
    this.wake();
  };
  private readonly onError = (error: Error) => this.onEnd(error);
  private readonly onClose = () => this.onEnd();

  constructor(private readonly stream: Readable) {
    stream.on('data', this.onData);
    stream.on('end', this.onClose);
    stream.on('close', this.onClose);
    stream.on('error', this.onError);
  }

  /** Stops listening; unread bytes stay available. */
  detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onClose);
    this.stream.off('close', this.onClose);
    this.stream.off('error', this.onError);
  }

  get available(): number {
    let total = -this.offset;
    for (const chunk of this.chunks) total += chunk.length;
    return total;
  }

  /** The next byte if one is already here, without taking it. */
  peek(): number | undefined {
    return this.chunks[0]?.[this.offset];
  }

  /** Bytes already received and not yet read, without waiting. */
  takeAll(): Buffer {
    const head = this.chunks[0];
    if (!head) return Buffer.alloc(0);
    const all = Buffer.concat([head.subarray(this.offset), ...this.chunks.slice(1)]);
    this.chunks = [];
    this.offset = 0;
    return all;
  }

  /** Puts bytes back in front, for a reader that looked further than it should consume. */
  unread(data: Buffer): void {
    if (data.length === 0) return;
    const head = this.chunks[0];
    if (head && this.offset > 0) {
      this.chunks[0] = head.subarray(this.offset);
      this.offset = 0;
    }
    this.chunks.unshift(data);
  }

  /** The next byte, or TIMED_OUT after `timeoutMs`. Throws when the stream ends or `signal` aborts. */
  async next(timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const byte = this.shift();
    if (byte !== undefined) return byte;
    await this.wait(timeoutMs, signal);
    return this.shift() ?? TIMED_OUT;
  }

  /** Resolves when at least one byte is buffered or the timeout passes (whichever first). */
  async wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.available > 0) return;
    if (this.ended) throw this.ended;
    if (signal?.aborted) throw cancelled(signal);
    await new Promise<void>((resolve, reject) => {
      let ioTurn: NodeJS.Immediate | undefined;
      const done = () => {
        clearTimeout(timer);
        clearImmediate(ioTurn);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const onAbort = () => {
        done();
        reject(cancelled(signal!));
      };
      // Expired timers run before the I/O that became ready meanwhile is read: after a stall of
      // this process, bytes that arrived before the deadline would count as silence (an answer
      // then taken for the next block's). They get one turn of the event loop first.
      const timer = setTimeout(() => {
        ioTurn = setImmediate(() => {
          done();
          resolve();
        });
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = () => {
        done();
        if (this.available === 0 && this.ended) reject(this.ended);
        else resolve();
      };
    });
  }

  private shift(): number | undefined {
    const head = this.chunks[0];
    if (!head) return undefined;
    const byte = head[this.offset++]!;
    if (this.offset >= head.length) {
      this.chunks.shift();
      this.offset = 0;
    }
    return byte;
  }

  private wake(): void {
    this.waiter?.();
  }
}

function cancelled(signal: AbortSignal): CancelledError {
  return new CancelledError('The transfer was cancelled.', {}, { cause: signal.reason });
}
