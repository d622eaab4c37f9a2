import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'crc';
import { checkParticleImage } from '../../src/devices/particle/module-checks.js';
import {
  CRC_CHUNK_BYTES,
  crc32OfSource,
  describeModule,
  looksLikeStackPointer,
  MODULE_INFO_HEAD_BYTES,
  parseModuleInfo,
} from '../../src/devices/particle/module-info.js';
import { platformByKey } from '../../src/devices/platforms.js';
import { bufferSource, type ByteSource } from '../../src/image/firmware-file.js';

// dist/test/devices/ → repository root
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const loadFixture = (name: string) => readFile(join(repoRoot, 'fixtures', name));

const photon = platformByKey('photon')!;
const electron = platformByKey('electron')!;

interface ModuleSpec {
  start: number;
  moduleBytes: number;
  platformId: number;
  fn: number;
  index?: number;
  /** Bytes before module_info (a vector table), 0 or 0x184. */
  headerOffset?: number;
  stackPointer?: number;
}

/** Builds a module the way the device expects it, field offsets written out by hand. */
function buildModule(spec: ModuleSpec): Buffer {
  const body = Buffer.alloc(spec.moduleBytes);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
  const h = spec.headerOffset ?? 0;
  if (spec.stackPointer !== undefined) body.writeUInt32LE(spec.stackPointer, 0);
  body.writeUInt32LE(spec.start, h + 0);
  body.writeUInt32LE(spec.start + spec.moduleBytes, h + 4);
  body.writeUInt8(0, h + 8);
  body.writeUInt8(0x01, h + 9);
  body.writeUInt16LE(0x1234, h + 10);
  body.writeUInt16LE(spec.platformId, h + 12);
  body.writeUInt8(spec.fn, h + 14);
  body.writeUInt8(spec.index ?? 1, h + 15);
  body.writeUInt8(4, h + 16);
  body.writeUInt8(2, h + 17);
  body.writeUInt16LE(0xabcd, h + 18);
  body.writeUInt8(2, h + 20);
  body.writeUInt8(0, h + 21);
  body.writeUInt16LE(0x0102, h + 22);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([body, trailer]);
}

const check = (image: Buffer, expect: Parameters<typeof checkParticleImage>[2] = {}, name = 'app.bin') =>
  checkParticleImage(bufferSource(image), image.length, expect, name);

test('looksLikeStackPointer uses the Device OS mask', () => {
  assert.equal(looksLikeStackPointer(0x20005000), true);
  assert.equal(looksLikeStackPointer(0x20020000), true);
  assert.equal(looksLikeStackPointer(0x20000000), true);
  assert.equal(looksLikeStackPointer(0x20010000), false, 'bit 16 is inside the mask');
  assert.equal(looksLikeStackPointer(0x080a0000), false);
  assert.equal(looksLikeStackPointer(0x30000000), true, 'the mask ignores bit 28, as Device OS does');
  assert.equal(looksLikeStackPointer(0x10000000), false);
  assert.equal(looksLikeStackPointer(0xffffffff), false);
});

test('parseModuleInfo reads every field of the Photon fixture', async () => {
  const info = parseModuleInfo(await loadFixture('photon-user-part.bin'));
  assert.deepEqual(info, {
    offset: 0,
    startAddress: 0x080a0000,
    endAddress: 0x080a0fa0,
    reserved: 0,
    flags: 0,
    version: 6,
    platformId: 6,
    moduleFunction: 5,
    index: 1,
    dependencies: [
      { moduleFunction: 4, index: 2, version: 400 },
      { moduleFunction: 0, index: 0, version: 0 },
    ],
  });
});

test('parseModuleInfo reads little-endian fields at their offsets', () => {
  const info = parseModuleInfo(buildModule({ start: 0x08060000, moduleBytes: 256, platformId: 10, fn: 4, index: 3 }));
  assert.ok(info);
  assert.equal(info.flags, 0x01);
  assert.equal(info.version, 0x1234);
  assert.equal(info.platformId, 10);
  assert.equal(info.moduleFunction, 4);
  assert.equal(info.index, 3);
  assert.deepEqual(info.dependencies, [
    { moduleFunction: 4, index: 2, version: 0xabcd },
    { moduleFunction: 2, index: 0, version: 0x0102 },
  ]);
});

test('parseModuleInfo finds the header at 0x184 after a vector table', () => {
  const image = buildModule({
    start: 0x08000000, moduleBytes: 0x1000, platformId: 6, fn: 2, headerOffset: 0x184, stackPointer: 0x20020000,
  });
  const info = parseModuleInfo(image.subarray(0, MODULE_INFO_HEAD_BYTES));
  assert.equal(info?.offset, 0x184);
  assert.equal(info?.startAddress, 0x08000000);
  assert.equal(info?.moduleFunction, 2);
  assert.equal(parseModuleInfo(image.subarray(0, MODULE_INFO_HEAD_BYTES - 1)), undefined, 'header cut short');
});

test('parseModuleInfo: no header in implausible bytes', () => {
  const good = buildModule({ start: 0x080a0000, moduleBytes: 64, platformId: 6, fn: 5 });
  assert.ok(parseModuleInfo(good));
  assert.equal(parseModuleInfo(good.subarray(0, 23)), undefined, 'shorter than the header');
  assert.equal(parseModuleInfo(Buffer.alloc(0)), undefined);
  assert.equal(parseModuleInfo(Buffer.alloc(24)), undefined, 'all zeros: empty range');
  const backwards = Buffer.from(good);
  backwards.writeUInt32LE(0x0809ffff, 4);
  assert.equal(parseModuleInfo(backwards), undefined);
  const huge = Buffer.from(good);
  huge.writeUInt32LE(0x080a0000 + 0x100001, 4);
  assert.equal(parseModuleInfo(huge), undefined);
  for (const fn of [0, 1, 6, 7, 0xff]) {
    const odd = Buffer.from(good);
    odd.writeUInt8(fn, 14);
    assert.equal(parseModuleInfo(odd), undefined, `function ${fn}`);
  }
});

test('describeModule', () => {
  assert.equal(describeModule(5, 1), 'user part');
  assert.equal(describeModule(4, 2), 'system part 2');
  assert.equal(describeModule(2), 'bootloader');
  assert.equal(describeModule(9), 'module function 9');
});

test('crc32OfSource equals the one-shot CRC and reads in bounded chunks', async () => {
  const data = Buffer.alloc(40000);
  for (let i = 0; i < data.length; i++) data[i] = (i ^ (i >> 7)) & 0xff;
  for (const length of [0, 1, 127, 128, 129, 1023, 1024, 1025, CRC_CHUNK_BYTES - 1, CRC_CHUNK_BYTES, CRC_CHUNK_BYTES + 1, 40000]) {
    let largest = 0;
    const counting: ByteSource = async (offset, len) => {
      largest = Math.max(largest, len);
      return data.subarray(offset, offset + len);
    };
    const expected = length === 0 ? 0 : crc32(data.subarray(0, length));
    assert.equal(await crc32OfSource(counting, 0, length), expected, `length ${length}`);
    assert.ok(largest <= CRC_CHUNK_BYTES, `never reads more than a chunk (length ${length})`);
  }
  assert.equal(await crc32OfSource(bufferSource(data), 100, 1000), crc32(data.subarray(100, 1100)));
  assert.equal(await crc32OfSource(bufferSource(Buffer.from('123456789')), 0, 9), 0xcbf43926, 'IEEE check value');
});

test('crc32OfSource fails when the source ends early', async () => {
  await assert.rejects(crc32OfSource(bufferSource(Buffer.alloc(10)), 0, 11), RangeError);
});

test('the Photon fixture passes for a Photon, with or without its address', async () => {
  const image = await loadFixture('photon-user-part.bin');
  assert.deepEqual(await check(image, { platform: photon }), []);
  assert.deepEqual(await check(image, { platform: photon, address: 0x080a0000 }), []);
  assert.deepEqual(await check(image), [], 'no expectation: checked against its own platform');
});

test('the Electron fixture passes for an Electron', async () => {
  assert.deepEqual(await check(await loadFixture('electron-user-part.bin'), { platform: electron, address: 0x08080000 }), []);
});

test('an Electron image for a Photon is refused by name, once', async () => {
  const refusals = await check(await loadFixture('electron-user-part.bin'), { platform: photon }, 'electron-user-part.bin');
  assert.deepEqual(refusals, [
    {
      field: 'platform',
      expected: '6',
      actual: '10',
      message:
        'electron-user-part.bin is for an Electron (platform 10) but the device is a Photon (platform 6); build it for the Photon.',
    },
  ]);
});

test('an image for an unknown platform', async () => {
  const image = buildModule({ start: 0x080a0000, moduleBytes: 512, platformId: 99, fn: 5 });
  const [refusal, ...rest] = await check(image, { platform: photon });
  assert.equal(rest.length, 0);
  assert.equal(refusal?.field, 'platform');
  assert.match(refusal!.message, /platform 99 \(unknown\) but the device is a Photon \(platform 6\)/);
  assert.deepEqual(await check(image), [], 'nothing to compare with');
});

test('a requested address that differs from the header is refused', async () => {
  const refusals = await check(await loadFixture('photon-user-part.bin'), { platform: photon, address: 0x08080000 });
  assert.equal(refusals.length, 1);
  assert.equal(refusals[0]!.field, 'address');
  assert.equal(refusals[0]!.expected, '0x08080000');
  assert.equal(refusals[0]!.actual, '0x080A0000');
  assert.match(refusals[0]!.message, /built for 0x080A0000 .* but 0x08080000 was requested/);
});

test('the bad-CRC fixture is refused with both CRC values', async () => {
  const image = await loadFixture('photon-user-part-bad-crc.bin');
  const stored = image.readUInt32BE(image.length - 4);
  const computed = crc32(image.subarray(0, image.length - 4));
  assert.notEqual(stored, computed);
  const refusals = await check(image, { platform: photon }, 'photon-user-part-bad-crc.bin');
  assert.deepEqual(refusals, [
    {
      field: 'crc',
      expected: '0x937B41F4',
      actual: '0x06EEEF0E',
      message:
        'photon-user-part-bad-crc.bin fails its CRC-32 check (stored 0x937B41F4, computed 0x06EEEF0E), so the file is corrupt; rebuild it or copy it again.',
    },
  ]);
  assert.equal(computed, 0x06eeef0e);
});

test('a flipped byte anywhere in the module, including the header, breaks the CRC', async () => {
  const good = buildModule({ start: 0x080a0000, moduleBytes: 1025, platformId: 6, fn: 5 });
  for (const offset of [9, 24, 512, 1024]) {
    const bad = Buffer.from(good);
    bad[offset] ^= 0x01;
    const fields = (await check(bad, { platform: photon })).map((r) => r.field);
    assert.deepEqual(fields, ['crc'], `offset ${offset}`);
  }
  const badTrailer = Buffer.from(good);
  badTrailer[badTrailer.length - 1] ^= 0x80;
  assert.deepEqual((await check(badTrailer)).map((r) => r.field), ['crc']);
});

test('a file whose size disagrees with its header is refused before the CRC', async () => {
  const good = buildModule({ start: 0x080a0000, moduleBytes: 1024, platformId: 6, fn: 5 });
  const truncated = await check(good.subarray(0, good.length - 1), { platform: photon });
  assert.equal(truncated.length, 1);
  assert.equal(truncated[0]!.field, 'file-size');
  assert.equal(truncated[0]!.expected, '1028');
  assert.equal(truncated[0]!.actual, '1027');
  assert.match(truncated[0]!.message, /is 1027 bytes .* says 1028, so the file is truncated/);
  const padded = await check(Buffer.concat([good, Buffer.alloc(1)]), { platform: photon });
  assert.deepEqual(padded.map((r) => r.field), ['file-size']);
  assert.match(padded[0]!.message, /extra bytes/);
});

test('a module at an address that is not its slot is refused', async () => {
  const atElectronAddress = buildModule({ start: 0x08080000, moduleBytes: 512, platformId: 6, fn: 5 });
  const refusals = await check(atElectronAddress, { platform: photon });
  assert.deepEqual(refusals.map((r) => [r.field, r.expected, r.actual]), [['slot', '0x080A0000', '0x08080000']]);
  assert.match(refusals[0]!.message, /user part starting at 0x08080000, but the Photon has its user part at 0x080A0000/);
});

test('system parts must sit in the slot of their index', async () => {
  const part2 = buildModule({ start: 0x08060000, moduleBytes: 2048, platformId: 6, fn: 4, index: 2 });
  assert.deepEqual(await check(part2, { platform: photon }), []);
  const wrongIndex = buildModule({ start: 0x08060000, moduleBytes: 2048, platformId: 6, fn: 4, index: 1 });
  const refusals = await check(wrongIndex, { platform: photon });
  assert.deepEqual(refusals.map((r) => [r.field, r.expected]), [['slot', '0x08020000']]);
  assert.match(refusals[0]!.message, /system part 1 starting at 0x08060000/);
  const noSuchPart = buildModule({ start: 0x08060000, moduleBytes: 2048, platformId: 6, fn: 4, index: 3 });
  assert.deepEqual((await check(noSuchPart, { platform: photon })).map((r) => [r.field, r.expected]), [['slot', 'none']]);
  const electronPart3 = buildModule({ start: 0x08060000, moduleBytes: 2048, platformId: 10, fn: 4, index: 3 });
  assert.deepEqual(await check(electronPart3, { platform: electron }), []);
});

test('bootloader and monolithic modules', async () => {
  const bootloader = buildModule({
    start: 0x08000000, moduleBytes: 0x3000, platformId: 6, fn: 2, headerOffset: 0x184, stackPointer: 0x20020000,
  });
  assert.deepEqual(await check(bootloader, { platform: photon, address: 0x08000000 }), []);
  const monolithic = buildModule({ start: 0x08020000, moduleBytes: 0x8000, platformId: 6, fn: 3 });
  assert.deepEqual(await check(monolithic, { platform: photon }), []);
  const misplaced = buildModule({ start: 0x080a0000, moduleBytes: 0x8000, platformId: 6, fn: 3 });
  assert.deepEqual((await check(misplaced, { platform: photon })).map((r) => r.field), ['slot']);
});

test('a module larger than its slot is refused with both sizes', async () => {
  const slotBytes = 128 * 1024;
  const fits = buildModule({ start: 0x080a0000, moduleBytes: slotBytes - 4, platformId: 6, fn: 5 });
  assert.deepEqual(await check(fits, { platform: photon }), [], 'module + CRC exactly fill the slot');
  const tooBig = buildModule({ start: 0x080a0000, moduleBytes: slotBytes - 3, platformId: 6, fn: 5 });
  const refusals = await check(tooBig, { platform: photon }, 'big.bin');
  assert.deepEqual(refusals.map((r) => [r.field, r.expected, r.actual]), [['size', '<= 131072', '131073']]);
  assert.equal(
    refusals[0]!.message,
    "big.bin is a user part of 131073 bytes but the Photon's user part holds at most 131072 bytes (0x080A0000–0x080BFFFF); make it smaller.",
  );
});

test('images without a module header are refused', async () => {
  for (const name of ['core-app-0x08005000.bin', 'core-app-0x0800A000.bin']) {
    const refusals = await check(await loadFixture(name), { platform: photon }, name);
    assert.deepEqual(refusals.map((r) => r.field), ['module-info'], name);
    assert.match(refusals[0]!.message, new RegExp(`^${name.replace(/\./g, '\\.')} has no Particle module header`));
  }
  assert.deepEqual((await check(Buffer.from([1, 2, 3]))).map((r) => r.field), ['module-info']);
});

test('the check reads the image through the source in bounded pieces', async () => {
  const image = buildModule({ start: 0x080a0000, moduleBytes: 100000, platformId: 6, fn: 5 });
  let largest = 0;
  const source: ByteSource = async (offset, length) => {
    largest = Math.max(largest, length);
    return image.subarray(offset, offset + length);
  };
  assert.deepEqual(await checkParticleImage(source, image.length, { platform: photon }), []);
  assert.ok(largest <= CRC_CHUNK_BYTES);
});
