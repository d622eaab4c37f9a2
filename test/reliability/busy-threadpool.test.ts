/**
 * A loaded machine: libuv's threadpool (file reads, stats, DNS) can be held up far longer than
 * a receiver's byte timeout, by CPU starvation or by other work in the same process (a --log
 * file, a second flash). The transfer must not wait for it between blocks: the image is read
 * before the first block and the file is checked with a single synchronous stat.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';
import { flashVirtual, onBlock } from './virtual-flash.js';

/** libuv's default, unless the environment says otherwise. */
const THREADPOOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

/**
 * Holds every threadpool thread: each opens a FIFO for reading, which blocks until someone
 * opens it for writing. `release` does (read-write, which never blocks on Linux).
 */
function occupyThreadpool(dir: string): { probe: Promise<unknown>; release: () => Promise<void> } {
  const fifo = join(dir, 'hold');
  execFileSync('mkfifo', [fifo]);
  const readers: Promise<FileHandle>[] = Array.from({ length: THREADPOOL_SIZE }, () => open(fifo, 'r'));
  // Queued behind the readers: it cannot finish while they hold every thread.
  const probe = stat(fifo);
  return {
    probe,
    async release() {
      const writer = openSync(fifo, 'r+');
      try {
        for (const reader of await Promise.all(readers)) await reader.close();
        await probe;
      } finally {
        closeSync(writer);
      }
    },
  };
}

test(
  'with every threadpool thread busy from the first data block on, the device still gets the whole file in time',
  { skip: process.platform !== 'linux' && 'needs a FIFO that blocks a thread (Linux)', timeout: 60_000 },
  async () => {
    const dir = tempDir('busy-threadpool');
    const path = join(dir, 'firmware.bin');
    const data = testData(20_000, 7);
    writeFileSync(path, data);
    let pool: ReturnType<typeof occupyThreadpool> | undefined;
    let released: Promise<void> | undefined;
    const release = () => (released ??= pool?.release());
    let probeDone = false;
    let probeDoneByLastAck: boolean | undefined;
    const run = await flashVirtual(
      'ymodem',
      path,
      {},
      {
        target: 'ymodem',
        onEvent: (event) => {
          if (event.type === 'progress' && event.bytes === data.length) probeDoneByLastAck = probeDone;
        },
      },
      (port) => {
        onBlock(port, 1, () => {
          pool = occupyThreadpool(dir);
          void pool.probe.then(() => (probeDone = true));
        });
        // A transfer that waits for the pool never ends on its own: the device gives up, then the pool is let go.
        port.device.on('transfer-failed', () => void release());
      },
    );
    try {
      await release();
      assert.equal(run.error, undefined, run.error?.message);
      assert.equal(probeDoneByLastAck, false, 'the threadpool was busy throughout the data blocks');
      const files = (run.port.device as YmodemDevice).files;
      assert.equal(files.length, 1);
      assert.ok(files[0]!.data.equals(data), 'the device holds the file, whole');
    } finally {
      run.port.close();
    }
  },
);
