/**
 * A write that cannot hang. On a port whose far end stopped reading (a USB device that no
 * longer drains its endpoint; a pseudo-terminal whose reader stopped, once its buffers fill)
 * the write callback never comes: the write then fails after `timeoutMs` with a sentence,
 * and an abort (Ctrl-C) ends it at once.
 */
import type { Writable } from 'node:stream';
import { CancelledError, DisconnectedError, TransferError } from '../errors.js';

export interface BoundedWriteOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export function writeWithin(stream: Writable, data: Buffer | string, { timeoutMs, signal }: BoundedWriteOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('The transfer was cancelled.', {}, { cause: signal.reason }));
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => settle(new CancelledError('The transfer was cancelled.', {}, { cause: signal!.reason }));
    const timer = setTimeout(() => settle(stalled(Buffer.byteLength(data), timeoutMs)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.write(data, (error) => settle(error ? new DisconnectedError('The device disconnected.', {}, { cause: error }) : undefined));
  });
}

function stalled(bytes: number, timeoutMs: number): TransferError {
  const seconds = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${(timeoutMs / 1000).toFixed(1)} s`;
  return new TransferError(
    'WRITE_STALLED',
    `The port stopped taking data: ${bytes} bytes could not be written within ${seconds}, so the device is not reading (it hangs, or flow control holds the line); unplug it and plug it back in, then try again.`,
  );
}
