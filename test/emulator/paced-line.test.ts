import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacedLine } from '../../src/emulator/paced-line.js';
import { monotonicMs, preciseTimers } from '../../src/emulator/precise-timer.js';

/** Deliveries are aimed this close to their deadline; later only when the machine is busy. */
const EARLY_TOLERANCE_MS = 0.5;

function receiveAll(line: PacedLine, chunks: Buffer[]): Promise<{ data: Buffer; at: number }[]> {
  const got: { data: Buffer; at: number }[] = [];
  return new Promise((resolve) => {
    for (const chunk of chunks) {
      line.deliver(chunk, (data) => {
        got.push({ data, at: monotonicMs() });
        if (got.length === chunks.length) resolve(got);
      });
    }
  });
}

test('an unpaced line hands chunks over at once', () => {
  const line = new PacedLine(undefined, 0);
  const seen: Buffer[] = [];
  line.deliver(Buffer.of(1, 2), (d) => seen.push(d));
  assert.deepEqual(seen, [Buffer.of(1, 2)]);
});

test('a chunk arrives when its last byte would: bytes / rate + latency, not before', async () => {
  const line = new PacedLine(10_000, 2);
  const start = monotonicMs();
  const [arrival] = await receiveAll(line, [Buffer.alloc(100)]);
  // 100 bytes at 10 000 B/s = 10 ms, plus 2 ms one-way latency.
  assert.ok(arrival!.at - start >= 12 - EARLY_TOLERANCE_MS, `arrived after ${(arrival!.at - start).toFixed(3)} ms`);
});

test('chunks queue behind each other on the line and keep their order', async () => {
  const line = new PacedLine(100_000, 1);
  const chunks = [Buffer.alloc(500, 1), Buffer.alloc(1, 2), Buffer.alloc(300, 3), Buffer.alloc(1, 4)];
  const start = monotonicMs();
  const got = await receiveAll(line, chunks);
  assert.deepEqual(got.map((g) => g.data[0]), [1, 2, 3, 4]);
  // 802 bytes at 100 000 B/s = 8.02 ms before the last one lands, plus 1 ms latency.
  assert.ok(got[3]!.at - start >= 9.02 - EARLY_TOLERANCE_MS);
  for (let i = 1; i < got.length; i++) assert.ok(got[i]!.at >= got[i - 1]!.at);
});

test('precise deadlines below one millisecond are kept (setTimeout would take a whole one)', async () => {
  const lateness: number[] = [];
  for (let i = 0; i < 20; i++) {
    const due = monotonicMs() + 0.2;
    lateness.push(await new Promise<number>((resolve) => preciseTimers.at(due, () => resolve(monotonicMs() - due))));
  }
  lateness.sort((a, b) => a - b);
  assert.ok(lateness[0]! >= -EARLY_TOLERANCE_MS, `fired ${(-lateness[0]!).toFixed(3)} ms early`);
  // The median, so a busy machine's stalls do not fail the test.
  assert.ok(lateness[10]! < 0.8, `median lateness ${lateness[10]!.toFixed(3)} ms`);
});
