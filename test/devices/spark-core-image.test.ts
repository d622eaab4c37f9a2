import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkCoreImage,
  CORE_APPLICATION_ADDRESS,
  CORE_APPLICATION_MAX_BYTES,
} from '../../src/devices/particle/spark-core-image.js';
import { bufferSource } from '../../src/image/firmware-file.js';

// dist/test/devices/ → repository root
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const loadFixture = (name: string) => readFile(join(repoRoot, 'fixtures', name));

const check = (image: Buffer, address?: number, name = 'app.bin') =>
  checkCoreImage(bufferSource(image), image.length, address, name);

/** A Core application: stack pointer, reset handler, then the other system vectors. */
function coreImage(size: number, sp: number, reset: number, others: number[] = []): Buffer {
  // Zero system vectors (reserved entries), then filler that must never be read as a vector.
  const image = Buffer.alloc(size, 0xa5);
  image.fill(0, 0, Math.min(size, 64));
  const vectors = [sp, reset, ...others];
  vectors.forEach((v, i) => {
    if (i * 4 + 4 <= size) image.writeUInt32LE(v >>> 0, i * 4);
  });
  return image;
}

test('the application area is 0x08005000, 110592 bytes', () => {
  assert.equal(CORE_APPLICATION_ADDRESS, 0x08005000);
  assert.equal(CORE_APPLICATION_MAX_BYTES, 110592);
});

test('the good fixture passes, with or without the address', async () => {
  const image = await loadFixture('core-app-0x08005000.bin');
  assert.deepEqual(await check(image), []);
  assert.deepEqual(await check(image, 0x08005000), []);
});

test('the seed mistake: an image linked for 0x0800A000', async () => {
  const refusals = await check(await loadFixture('core-app-0x0800A000.bin'), undefined, 'core-app.bin');
  assert.deepEqual(refusals, [
    {
      field: 'reset-handler',
      expected: '0x08005000–0x08006387, Thumb (odd)',
      actual: '0x0800A1C5',
      message:
        'core-app.bin is linked for 0x0800A000 (reset handler 0x0800A1C5), but the Spark Core runs applications from 0x08005000; rebuild it for 0x08005000.',
    },
  ]);
});

test('any other address is refused, naming both', async () => {
  const refusals = await check(await loadFixture('core-app-0x08005000.bin'), 0x0800a000);
  assert.deepEqual(refusals.map((r) => [r.field, r.expected, r.actual]), [['address', '0x08005000', '0x0800A000']]);
  assert.match(refusals[0]!.message, /only at 0x08005000 \(through external flash 0x00060000\), not 0x0800A000/);
});

test('the oversized fixture is refused with both sizes', async () => {
  const refusals = await check(await loadFixture('core-app-oversized.bin'), 0x08005000, 'core-app-oversized.bin');
  assert.deepEqual(refusals, [
    {
      field: 'size',
      expected: '<= 110592',
      actual: '114688',
      message:
        'core-app-oversized.bin is 114688 bytes but the Spark Core application area holds at most 110592 bytes (0x08005000–0x0801FFFF); make the application smaller.',
    },
  ]);
});

test('size boundary: 110592 bytes fits, 110593 does not', async () => {
  assert.deepEqual(await check(coreImage(110592, 0x20005000, 0x08005101)), []);
  const refusals = await check(coreImage(110593, 0x20005000, 0x08005101));
  assert.deepEqual(refusals.map((r) => [r.field, r.actual]), [['size', '110593']]);
});

test('the stack pointer must point into the Core RAM', async () => {
  for (const sp of [0x20005000, 0x20000004, 0x20002000]) {
    assert.deepEqual(await check(coreImage(1024, sp, 0x08005101)), [], `sp ${sp.toString(16)}`);
  }
  for (const sp of [0x20005004, 0x20000000, 0x20020000, 0x20002002, 0x08005000, 0]) {
    const refusals = await check(coreImage(1024, sp, 0x08005101));
    assert.deepEqual(refusals.map((r) => r.field), ['stack-pointer'], `sp ${sp.toString(16)}`);
    assert.match(refusals[0]!.message, /outside the Spark Core's RAM \(0x20000000–0x20004FFF\)/);
  }
});

test('the reset handler must lie inside the image as installed at 0x08005000', async () => {
  // 1024 bytes at 0x08005000 end at 0x080053FF.
  assert.deepEqual(await check(coreImage(1024, 0x20005000, 0x080053ff)), [], 'last byte of the image');
  const past = await check(coreImage(1024, 0x20005000, 0x08005401));
  assert.deepEqual(past.map((r) => [r.field, r.actual]), [['reset-handler', '0x08005401']]);
  const even = await check(coreImage(1024, 0x20005000, 0x08005100));
  assert.deepEqual(even.map((r) => r.field), ['reset-handler'], 'not Thumb');
  const below = await check(coreImage(1024, 0x20005000, 0x08000145));
  assert.match(below[0]!.message, /is linked for 0x08000000 \(reset handler 0x08000145\)/);
  const zero = await check(coreImage(1024, 0x20005000, 0));
  assert.deepEqual(zero.map((r) => [r.field, r.actual]), [['reset-handler', '0x00000000']], 'reset handler is never optional');
});

test('other system handlers must lie inside the image too', async () => {
  const image = coreImage(1024, 0x20005000, 0x08005101, [0x08005103, 0x08030001]);
  const refusals = await check(image);
  assert.deepEqual(refusals.map((r) => [r.field, r.actual]), [['exception-handler', '0x08030001']]);
  assert.match(refusals[0]!.message, /has exception handler 0x08030001, outside the image as installed at 0x08005000/);
  const reserved = coreImage(1024, 0x20005000, 0x08005101, [0x08005103, 0, 0, 0]);
  assert.deepEqual(await check(reserved), [], 'zero entries are reserved vectors');
});

test('a Particle user part is not a Core application', async () => {
  const refusals = await check(await loadFixture('photon-user-part.bin'));
  assert.deepEqual(refusals.map((r) => r.field), ['stack-pointer', 'reset-handler']);
});

test('too short for a vector table', async () => {
  for (const size of [1, 4, 7]) {
    const refusals = await check(Buffer.alloc(size));
    assert.deepEqual(refusals.map((r) => r.field), ['vector-table'], `${size} bytes`);
    assert.match(refusals[0]!.message, new RegExp(`only ${size} bytes`));
  }
});

test('every problem is reported at once', async () => {
  const image = coreImage(110600, 0x20020000, 0x0801f001);
  const fields = (await check(image, 0x08000000)).map((r) => r.field);
  assert.deepEqual(fields, ['address', 'size', 'stack-pointer']);
});

// Built by fixtures/spark-core-app/build.sh with arm-none-eabi-gcc: one program, three link addresses.
const BUILT_AT_CORE_ADDRESS = ['core-app-4k-0x08005000.bin', 'core-app-25k-0x08005000.bin', 'core-app-25k-handlers-last-0x08005000.bin'];
const BUILT_ELSEWHERE: [string, string][] = [
  ['core-app-4k-0x0800A000.bin', '0x0800A000'],
  ['core-app-25k-0x0800A000.bin', '0x0800A000'],
  ['core-app-25k-handlers-last-0x0800A000.bin', '0x0800A000'],
  ['core-app-25k-0x08006000.bin', '0x08006000'],
];

test('real builds linked at 0x08005000 pass, small or large, handlers first or last', async () => {
  for (const name of BUILT_AT_CORE_ADDRESS) {
    assert.deepEqual(await check(await loadFixture(name), undefined, name), [], name);
  }
});

test('real builds linked anywhere else are refused, naming the address read from the whole image', async () => {
  for (const [name, linkedAt] of BUILT_ELSEWHERE) {
    const refusals = await check(await loadFixture(name), undefined, name);
    assert.equal(refusals.length, 1, `${name}: one refusal, not one per stray handler`);
    assert.equal(refusals[0]!.field, 'link-address', name);
    assert.equal(refusals[0]!.actual, linkedAt, name);
    assert.match(refusals[0]!.message, new RegExp(`^${name} is linked for ${linkedAt} \\(\\d+ of the \\d+ addresses it holds point into it there, \\d+ at 0x08005000\\), but the Spark Core runs applications from 0x08005000; rebuild it for 0x08005000`));
  }
});

test('the seed case: a 24 KB image linked at 0x0800A000 has every handler inside itself at 0x08005000', async () => {
  // What a vector-table check sees: the reset handler lies within the image as installed.
  const image = await loadFixture('core-app-25k-0x0800A000.bin');
  const reset = image.readUInt32LE(4) & ~1;
  assert.ok(image.length > 0x5000 && reset >= 0x0800a000 && reset < 0x08005000 + image.length);
  assert.equal((await check(image))[0]?.field, 'link-address');
});

test('no false refusal from words that merely look like flash addresses', async () => {
  const image = Buffer.from(await loadFixture('core-app-25k-0x08005000.bin'));
  // Two stray "addresses" past the image's end (data that happens to match), and the
  // bootloader's system flags page, which applications read wherever they are linked.
  const strays = [0x08005000 + image.length + 0x800, 0x08005000 + image.length + 0x900, 0x08004c00, 0x08004c04, 0x08004c08];
  strays.forEach((value, i) => image.writeUInt32LE(value, image.length - 64 + i * 4));
  assert.deepEqual(await check(image), []);
});
