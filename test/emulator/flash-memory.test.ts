import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlashMemory } from '../../src/emulator/flash-memory.js';

const REGIONS = [
  { name: 'bootloader', start: 0x08000000, end: 0x08004000, protected: true },
  { name: 'app', start: 0x08004000, end: 0x08010000 },
  { name: 'ota', start: 0x08010000, end: 0x08020000 },
];

test('unwritten flash reads as erased 0xFF, written bytes read back exactly, across page borders', async () => {
  const flash = new FlashMemory({ regions: REGIONS });
  assert.deepEqual(flash.read(0x08004000, 4), Buffer.from([0xff, 0xff, 0xff, 0xff]));
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));
  // Starts 3 bytes before a 4 KB page boundary, so it spans three pages.
  const at = 0x08005000 - 3;
  assert.deepEqual(await flash.write(at, data), { ok: true });
  assert.deepEqual(flash.read(at, data.length), data);
  assert.deepEqual(flash.read(at - 1, 1), Buffer.of(0xff));
  assert.deepEqual(flash.read(at + data.length, 1), Buffer.of(0xff));
  assert.deepEqual(flash.writtenRanges(), [{ start: at, end: at + data.length }]);
});

test('a write over programmed bytes is refused until the range is erased (NOR: bits only go 1→0)', async () => {
  const flash = new FlashMemory({ regions: REGIONS });
  await flash.write(0x08004000, Buffer.of(0x0f));
  const again = await flash.write(0x08004000, Buffer.of(0xf0));
  assert.equal(again.ok, false);
  assert.match(!again.ok ? again.reason : '', /0x08004000 is not erased/);
  // Clearing more bits of the same byte is what NOR flash allows.
  assert.deepEqual(await flash.write(0x08004000, Buffer.of(0x05)), { ok: true });
  assert.deepEqual(await flash.erase(0x08004000, 0x1000), { ok: true });
  assert.deepEqual(flash.writtenRanges(), []);
  assert.deepEqual(await flash.write(0x08004000, Buffer.of(0xf0)), { ok: true });
  assert.deepEqual(flash.read(0x08004000, 1), Buffer.of(0xf0));
});

test('a refused write changes nothing, even when only its last byte is dirty', async () => {
  const flash = new FlashMemory({ regions: REGIONS });
  await flash.write(0x08004100, Buffer.of(0x00));
  const result = await flash.write(0x080040ff, Buffer.of(0x11, 0x22));
  assert.equal(result.ok, false);
  assert.deepEqual(flash.read(0x080040ff, 2), Buffer.of(0xff, 0x00));
});

test('protected regions refuse writes and erases unless the access is privileged', async () => {
  const flash = new FlashMemory({ regions: REGIONS });
  const write = await flash.write(0x08003ffc, Buffer.alloc(8, 0));
  assert.equal(write.ok, false);
  assert.match(!write.ok ? write.reason : '', /protected bootloader/);
  assert.equal((await flash.erase(0x08000000, 0x4000)).ok, false);
  assert.deepEqual(await flash.write(0x08000000, Buffer.of(1, 2), { privileged: true }), { ok: true });
  assert.deepEqual(flash.read(0x08000000, 2), Buffer.of(1, 2));
});

test('accesses outside the memory map are refused; adjacent regions form one span', async () => {
  const flash = new FlashMemory({ regions: REGIONS });
  assert.equal((await flash.write(0x08020000, Buffer.of(1))).ok, false);
  assert.equal((await flash.write(0x0801ffff, Buffer.of(1, 2))).ok, false);
  assert.equal((await flash.write(0x0800fffe, Buffer.of(1, 2, 3, 4))).ok, true);
  assert.equal(flash.checkAccess(0x07ffffff, 1) !== undefined, true);
});

test('erase and write take the modelled time', async () => {
  const flash = new FlashMemory({ regions: REGIONS, eraseMs: 60, writeMs: 30 });
  let t = performance.now();
  await flash.erase(0x08010000, 0x10000);
  assert.ok(performance.now() - t >= 55);
  t = performance.now();
  await flash.write(0x08010000, Buffer.alloc(1024, 0));
  assert.ok(performance.now() - t >= 25);
});

test('RAM needs no erase and rewrites freely', async () => {
  const ram = new FlashMemory({ ram: true });
  await ram.write(0x81000000, Buffer.of(1, 2, 3));
  assert.deepEqual(await ram.write(0x81000001, Buffer.of(9)), { ok: true });
  assert.deepEqual(ram.read(0x81000000, 3), Buffer.of(1, 9, 3));
  assert.deepEqual(ram.writtenRanges(), [{ start: 0x81000000, end: 0x81000003 }]);
});
