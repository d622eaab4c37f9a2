import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile, mkdir, rename, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bufferSource, MAX_IMAGE_BYTES, openFirmwareFile } from '../../src/image/firmware-file.js';
import { InputError, TransferError } from '../../src/errors.js';

// dist/test/image/ → repository root
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = (name: string) => join(repoRoot, 'fixtures', name);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serial-flash-firmware-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bytes whose value depends on their position, so a read from the wrong offset shows. */
function pattern(length: number): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = (i * 7 + (i >> 8)) & 0xff;
  return buf;
}

async function readAllInBlocks(read: (o: number, l: number) => Promise<Buffer>, size: number, block: number) {
  const parts: Buffer[] = [];
  for (let offset = 0; ; offset += block) {
    const part = await read(offset, block);
    parts.push(part);
    if (part.length < block) break;
    assert.ok(offset <= size, 'reading must stop at the end');
  }
  return Buffer.concat(parts);
}

for (const size of [1, 127, 128, 129, 1023, 1024, 1025]) {
  for (const block of [128, 1024]) {
    test(`a ${size}-byte file read in ${block}-byte blocks comes back whole, short only at the end`, async () => {
      const path = join(dir, `image-${size}.bin`);
      const bytes = pattern(size);
      await writeFile(path, bytes);
      const file = await openFirmwareFile(path);
      try {
        assert.equal(file.size, size);
        assert.equal(file.name, `image-${size}.bin`);
        assert.equal(file.path, path);
        const all = await readAllInBlocks((o, l) => file.read(o, l), size, block);
        assert.deepEqual(all, bytes);
        const lastBlockStart = Math.floor((size - 1) / block) * block;
        assert.equal((await file.read(lastBlockStart, block)).length, size - lastBlockStart);
        assert.equal((await file.read(size, block)).length, 0, 'reading at EOF gives nothing');
        assert.equal((await file.read(size + 100, 4)).length, 0, 'reading past EOF gives nothing');
      } finally {
        await file.close();
      }
    });
  }
}

test('reads at arbitrary offsets return those bytes', async () => {
  const path = join(dir, 'offsets.bin');
  const bytes = pattern(3000);
  await writeFile(path, bytes);
  const file = await openFirmwareFile(path);
  try {
    assert.deepEqual(await file.read(1, 10), bytes.subarray(1, 11));
    assert.deepEqual(await file.read(2990, 100), bytes.subarray(2990));
    assert.equal((await file.read(5, 0)).length, 0);
  } finally {
    await file.close();
  }
});

test('metadata: mtime in whole seconds and the file mode', async () => {
  const path = join(dir, 'meta.bin');
  await writeFile(path, Buffer.from([1, 2, 3]));
  await chmod(path, 0o640);
  const file = await openFirmwareFile(path);
  try {
    assert.equal(file.mode & 0o777, 0o640);
    assert.ok(Number.isInteger(file.mtimeSeconds));
    assert.ok(Math.abs(file.mtimeSeconds - Date.now() / 1000) < 60);
  } finally {
    await file.close();
  }
});

test('close is idempotent and reading after close fails', async () => {
  const file = await openFirmwareFile(fixture('photon-user-part.bin'));
  await file.close();
  await file.close();
  await assert.rejects(file.read(0, 4));
});

test('bad read arguments are refused', async () => {
  const file = await openFirmwareFile(fixture('photon-user-part.bin'));
  try {
    await assert.rejects(file.read(-1, 4), RangeError);
    await assert.rejects(file.read(0, -4), RangeError);
    await assert.rejects(file.read(0.5, 4), RangeError);
  } finally {
    await file.close();
  }
});

test('an empty file is refused: FILE_EMPTY, named, nothing sent', async () => {
  await assert.rejects(openFirmwareFile(fixture('empty.bin')), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.code, 'FILE_EMPTY');
    assert.equal(error.message, 'empty.bin is empty (0 bytes) — did the build fail? Nothing was sent.');
    return true;
  });
});

test('a missing file is refused: FILE_NOT_FOUND', async () => {
  const path = join(dir, 'no-such-firmware.bin');
  await assert.rejects(openFirmwareFile(path), { name: 'InputError', code: 'FILE_NOT_FOUND', message: new RegExp(path) });
  await assert.rejects(openFirmwareFile(join(fixture('empty.bin'), 'child.bin')), { code: 'FILE_NOT_FOUND' });
});

test('a directory is refused: FILE_IS_DIRECTORY', async () => {
  const sub = join(dir, 'build');
  await mkdir(sub);
  await assert.rejects(openFirmwareFile(sub), { code: 'FILE_IS_DIRECTORY', message: /directory/ });
});

test('a device file is refused: FILE_NOT_REGULAR', async () => {
  await assert.rejects(openFirmwareFile('/dev/null'), { code: 'FILE_NOT_REGULAR' });
});

test('an unreadable file is refused: FILE_UNREADABLE', { skip: process.getuid?.() === 0 && 'root reads everything' }, async () => {
  const path = join(dir, 'secret.bin');
  await writeFile(path, Buffer.from([1]));
  await chmod(path, 0o000);
  await assert.rejects(openFirmwareFile(path), { code: 'FILE_UNREADABLE', message: /secret\.bin/ });
});

test('bufferSource reads like a file: short only at the end', async () => {
  const bytes = pattern(1025);
  const source = bufferSource(bytes);
  assert.deepEqual(await readAllInBlocks(source, 1025, 1024), bytes);
  assert.deepEqual(await source(1000, 100), bytes.subarray(1000));
  assert.equal((await source(1025, 10)).length, 0);
  assert.equal((await source(5000, 10)).length, 0);
  await assert.rejects(source(-1, 1), RangeError);
});

test('one version: what was read at open is what every read returns, whatever the file holds later', async () => {
  const path = join(dir, 'snapshot.bin');
  const first = pattern(2048);
  await writeFile(path, first);
  const file = await openFirmwareFile(path);
  try {
    await writeFile(path, Buffer.alloc(4096, 0xee));
    assert.deepEqual(await file.read(0, 4096), first);
    assert.equal(file.size, 2048);
  } finally {
    await file.close();
  }
});

const changes: [string, (path: string) => Promise<void>][] = [
  ['written again in place, same size', (path) => writeFile(path, Buffer.alloc(2048, 0x11))],
  ['replaced by another file (a rename over it)', async (path) => {
    await writeFile(`${path}.new`, pattern(2048));
    await rename(`${path}.new`, path);
  }],
  ['removed', (path) => unlink(path)],
];
for (const [what, change] of changes) {
  test(`confirmUnchanged: FILE_CHANGED once the file was ${what}`, async () => {
    const path = join(dir, `changed-${changes.findIndex(([w]) => w === what)}.bin`);
    await writeFile(path, pattern(2048));
    const file = await openFirmwareFile(path);
    try {
      file.confirmUnchanged();
      await change(path);
      assert.throws(() => file.confirmUnchanged(), (error: unknown) => {
        assert.ok(error instanceof TransferError);
        assert.equal(error.code, 'FILE_CHANGED');
        assert.match(error.message, /was written again while it was being sent/);
        return true;
      });
    } finally {
      await file.close();
    }
  });
}

test(`a file over ${MAX_IMAGE_BYTES / 1024 / 1024} MiB is refused before anything is read: FILE_TOO_LARGE`, async () => {
  const path = join(dir, 'huge.bin');
  await writeFile(path, '');
  await truncate(path, MAX_IMAGE_BYTES + 1); // sparse: takes no room
  await assert.rejects(openFirmwareFile(path), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.code, 'FILE_TOO_LARGE');
    assert.equal(error.message, `huge.bin is ${MAX_IMAGE_BYTES + 1} bytes, more than the 64 MiB serial-flash sends (over an hour and a half at 115200 baud); is it the firmware image?`);
    return true;
  });
  await unlink(path);
});
