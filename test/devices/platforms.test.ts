import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findProtectedRegion,
  PLATFORMS,
  platformById,
  platformByKey,
  platformByUsb,
  regionsOfKind,
  withArticle,
  type Platform,
} from '../../src/devices/platforms.js';

const photon = platformByKey('photon')!;
const electron = platformByKey('electron')!;
const core = platformByKey('core')!;

test('every family has a unique key, id and USB identities', () => {
  assert.deepEqual(
    PLATFORMS.map((p) => [p.key, p.id]),
    [['core', 0], ['photon', 6], ['p1', 8], ['electron', 10], ['argon', 12], ['boron', 13], ['xenon', 14]],
  );
  const usbIds = PLATFORMS.flatMap((p) => [p.usb.serial, p.usb.dfu]).map((u) => `${u.vendorId}:${u.productId}`);
  assert.equal(new Set(usbIds).size, usbIds.length);
});

test('memory maps are sorted, non-empty ranges that do not overlap', () => {
  for (const platform of PLATFORMS) {
    for (const memory of ['internal', 'external'] as const) {
      const regions = platform.flash.filter((r) => r.memory === memory);
      for (const [i, r] of regions.entries()) {
        assert.ok(r.start < r.end, `${platform.key} ${r.name} is not empty`);
        if (i > 0) assert.ok(regions[i - 1]!.end <= r.start, `${platform.key} ${r.name} follows its predecessor`);
      }
    }
  }
});

test('only bootloader, keys and DCT regions are protected', () => {
  for (const platform of PLATFORMS) {
    for (const r of platform.flash) {
      assert.equal(r.protected, ['bootloader', 'keys', 'dct'].includes(r.kind), `${platform.key} ${r.name}`);
    }
  }
});

test('Spark Core map: bootloader to 0x08005000, 108 KB application, external keys', () => {
  const [bootloader] = regionsOfKind(core, 'bootloader');
  const [application] = regionsOfKind(core, 'application');
  assert.deepEqual([bootloader!.start, bootloader!.end], [0x08000000, 0x08005000]);
  assert.deepEqual([application!.start, application!.end], [0x08005000, 0x08020000]);
  assert.equal(application!.end - application!.start, 110592);
  const keys = regionsOfKind(core, 'keys');
  assert.deepEqual(keys.map((k) => [k.start, k.end, k.memory]), [[0x1000, 0x2000, 'external'], [0x2000, 0x3000, 'external']]);
  assert.deepEqual(core.ram, { start: 0x20000000, end: 0x20005000 });
});

test('Photon and Electron slots from the reference', () => {
  assert.deepEqual(regionsOfKind(photon, 'user-part').map((r) => r.start), [0x080a0000]);
  assert.deepEqual(regionsOfKind(photon, 'system-part').map((r) => [r.index, r.start]), [[1, 0x08020000], [2, 0x08060000]]);
  assert.deepEqual(regionsOfKind(photon, 'ota').map((r) => r.start), [0x080c0000]);
  assert.deepEqual(regionsOfKind(photon, 'factory').map((r) => r.start), [0x080e0000]);
  assert.equal(regionsOfKind(photon, 'user-part')[0]!.end - 0x080a0000, 128 * 1024);
  assert.deepEqual(regionsOfKind(electron, 'user-part').map((r) => r.start), [0x08080000]);
  assert.deepEqual(
    regionsOfKind(electron, 'system-part').map((r) => [r.index, r.start]),
    [[1, 0x08020000], [2, 0x08040000], [3, 0x08060000]],
  );
  assert.deepEqual(regionsOfKind(electron, 'system-part', 3).map((r) => r.start), [0x08060000]);
  assert.equal(platformByKey('p1')!.flash, photon.flash);
});

test('Gen 3 devices have ids but no map, and say so', () => {
  for (const key of ['argon', 'boron', 'xenon']) {
    const p = platformByKey(key)!;
    assert.equal(p.flash.length, 0);
    assert.match(p.flashMapNote ?? '', /no memory map/);
  }
});

test('platformByUsb: serial and DFU identities, case-insensitive, with or without 0x', () => {
  assert.deepEqual(platformByUsb({ vendorId: '1d50', productId: '607d' }), { platform: core, mode: 'serial' });
  assert.deepEqual(platformByUsb({ vendorId: '1D50', productId: '607F' }), { platform: core, mode: 'dfu' });
  assert.deepEqual(platformByUsb({ vendorId: '2b04', productId: 'c006' }), { platform: photon, mode: 'serial' });
  assert.deepEqual(platformByUsb({ vendorId: '0x2B04', productId: '0xD00A' }), { platform: electron, mode: 'dfu' });
  assert.equal(platformByUsb({ vendorId: '2b04', productId: 'c008' })?.platform.key, 'p1');
  assert.equal(platformByUsb({ vendorId: '2b04', productId: 'C00C' })?.platform.key, 'argon');
  assert.equal(platformByUsb({ vendorId: '2b04', productId: 'd00d' })?.platform.key, 'boron');
  assert.equal(platformByUsb({ vendorId: '2b04', productId: 'c00e' })?.platform.key, 'xenon');
  assert.equal(platformByUsb({ vendorId: 0x2b04, productId: 0xc006 })?.platform.key, 'photon');
});

test('platformByUsb: unknown or malformed identities', () => {
  assert.equal(platformByUsb({ vendorId: '0403', productId: '6001' }), undefined, 'an FTDI adapter');
  assert.equal(platformByUsb({ vendorId: '2b04', productId: 'c007' }), undefined);
  assert.equal(platformByUsb({ vendorId: '1d50', productId: 'c006' }), undefined, 'vendor and product must both match');
  assert.equal(platformByUsb({ vendorId: '', productId: '' }), undefined);
  assert.equal(platformByUsb({ vendorId: '2b04x', productId: 'c006' }), undefined);
});

test('platformById and platformByKey', () => {
  assert.equal(platformById(10)?.name, 'Electron');
  assert.equal(platformById(0)?.name, 'Spark Core');
  assert.equal(platformById(7), undefined);
  assert.equal(platformByKey('Photon')?.id, 6);
  assert.equal(platformByKey('P1')?.id, 8);
  assert.equal(platformByKey('esp32'), undefined);
});

test('withArticle', () => {
  assert.equal(withArticle(electron), 'an Electron');
  assert.equal(withArticle(platformByKey('argon')!), 'an Argon');
  assert.equal(withArticle(photon), 'a Photon');
  assert.equal(withArticle(core), 'a Spark Core');
});

test('findProtectedRegion: Photon DCT', () => {
  const hit = findProtectedRegion(photon, 0x08004000, 1024);
  assert.ok(hit);
  assert.equal(hit.region.kind, 'dct');
  assert.equal(hit.platform, photon);
  assert.equal(
    hit.message,
    '0x08004000 would overwrite the device keys (Photon DCT, 0x08004000–0x0800BFFF); use --force only if you mean it.',
  );
});

test('findProtectedRegion: boundaries of the Photon bootloader and DCT', () => {
  assert.equal(findProtectedRegion(photon, 0x08000000, 4)?.region.kind, 'bootloader');
  assert.equal(findProtectedRegion(photon, 0x08003fff, 1)?.region.kind, 'bootloader');
  assert.equal(findProtectedRegion(photon, 0x0800bfff, 1)?.region.kind, 'dct');
  assert.equal(findProtectedRegion(photon, 0x0800c000, 4096), undefined, 'EEPROM emulation is not protected');
  assert.equal(findProtectedRegion(photon, 0x080a0000, 0x20000), undefined, 'the user part is fine');
  // A range that starts below and reaches into the DCT.
  const reaching = findProtectedRegion(photon, 0x08003000, 0x2000);
  assert.equal(reaching?.region.kind, 'bootloader', 'the first protected region it touches');
  assert.equal(findProtectedRegion(photon, 0x0800b000, 0x2000)?.region.kind, 'dct', 'starts inside, ends past');
});

test('findProtectedRegion: zero-size writes still count their start', () => {
  assert.equal(findProtectedRegion(photon, 0x08004000, 0)?.region.kind, 'dct');
  assert.equal(findProtectedRegion(photon, 0x0800c000, 0), undefined);
});

test('findProtectedRegion: Spark Core bootloader and external keys', () => {
  const boot = findProtectedRegion(core, 0x08004c00, 16);
  assert.match(boot!.message, /system flags/);
  assert.equal(findProtectedRegion(core, 0x08005000, 110592), undefined);
  assert.equal(findProtectedRegion(core, 0x08004ffc, 8)?.region.kind, 'bootloader');
  const keys = findProtectedRegion(core, 0x01000, 16);
  assert.equal(keys?.region.kind, 'keys');
  assert.match(keys!.message, /^0x00001000 would overwrite the device keys \(Spark Core external server public key/);
  assert.equal(findProtectedRegion(core, 0x02fff, 1)?.region.name, 'external device private key');
  assert.equal(findProtectedRegion(core, 0x03000, 4096), undefined);
  // Starting below the keys and reaching into them: the message says how much is written where.
  const reaching = findProtectedRegion(core, 0x00800, 0x1000);
  assert.equal(reaching?.region.start, 0x1000);
  assert.match(reaching!.message, /^Writing 4096 bytes at 0x00000800 would overwrite the device keys/);
  assert.equal(findProtectedRegion(core, 0x00800, 0x800), undefined, 'ends exactly where the keys start');
  assert.equal(findProtectedRegion(core, 0x60000, 4096), undefined, 'the serial staging area');
});

test('findProtectedRegion without a platform guards only the STM32 boot address', () => {
  const hit = findProtectedRegion(undefined, 0x08000000, 1024);
  assert.equal(hit?.region.kind, 'bootloader');
  assert.equal(hit?.platform, undefined);
  assert.equal(hit?.message, '0x08000000 is where the chip boots — the bootloader; use --force only if you mean it.');
  assert.equal(findProtectedRegion(undefined, 0x08004000, 1024), undefined);
  assert.equal(findProtectedRegion(undefined, 0x80000000, 1024), undefined, 'U-Boot loady into RAM');
});

test('findProtectedRegion on a platform with no map guards nothing', () => {
  const argon: Platform = platformByKey('argon')!;
  assert.equal(findProtectedRegion(argon, 0, 4096), undefined);
  assert.equal(findProtectedRegion(argon, 0x08000000, 4096), undefined);
});
