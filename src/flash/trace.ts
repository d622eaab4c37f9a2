/** Watches every byte crossing a stream, for `--trace` and `--log`, without changing it. */
import type { Duplex } from 'node:stream';

export type TraceDirection = 'tx' | 'rx';

/** Calls `onTraffic` for each chunk read and written; returns a function that stops it. */
export function tapTraffic(stream: Duplex, onTraffic: (direction: TraceDirection, data: Buffer) => void): () => void {
  const onData = (chunk: Buffer) => onTraffic('rx', chunk);
  stream.on('data', onData);
  const originalWrite = stream.write;
  // Wrapping write is the one place every outgoing byte passes, whoever writes it.
  stream.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
    if (Buffer.isBuffer(chunk) || typeof chunk === 'string') onTraffic('tx', Buffer.from(chunk as Buffer));
    return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];
  return () => {
    stream.off('data', onData);
    stream.write = originalWrite;
  };
}
