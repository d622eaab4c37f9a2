/** Small helpers for reading exact byte counts from duplex streams in tests. */
import type { Duplex } from 'node:stream';

/** Collects exactly `count` bytes, failing after `timeoutMs` with what did arrive. */
export function readBytes(stream: Duplex, count: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received > count) finish(new Error(`expected ${count} bytes, received ${received}`));
      else if (received === count) finish();
    };
    const timer = setTimeout(() => finish(new Error(`timed out with ${received} of ${count} bytes`)), timeoutMs);
    stream.on('data', onData);
  });
}

/** Every byte value once, control characters included (they expose cooked tty modes). */
export const ALL_BYTE_VALUES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export { testData as patternBytes } from '../helpers/test-data.js';
