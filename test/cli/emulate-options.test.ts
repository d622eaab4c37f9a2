/** `emulate` arguments → device options: version generations at their boundaries, listen URLs, refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceOptionsFrom, parseListenUrl, type EmulateArgs } from '../../src/cli/emulate-options.js';
import { generationOf } from '../../src/emulator/profile-traits.js';
import { InputError } from '../../src/errors.js';

const base: EmulateArgs = { profile: 'photon', listening: false, once: false };

test('Device OS versions map to the receiver generation they speak, at every boundary', () => {
  const cases: [string, string | undefined][] = [
    ['0.4.1', undefined], // no serial YMODEM yet
    ['0.4.2', '0.4.x'],
    ['0.4.9', '0.4.x'],
    ['0.5.0', '0.5'],
    ['0.6.0', '0.5'],
    ['0.6.1', '0.6.1+'],
    ['1.5.2', '0.6.1+'],
    ['5.9.0', '0.6.1+'],
    ['6.0.0', '6.x'],
    ['6.1', '6.x'],
    ['0.6.1+', '0.6.1+'],
    ['6.x', '6.x'],
    ['latest', undefined],
  ];
  for (const [text, expected] of cases) assert.equal(generationOf(text), expected, text);
});

test('an exact version also sets what `v` prints; a generation name does not', () => {
  assert.deepEqual(deviceOptionsFrom({ ...base, firmwareVersion: '0.5.3' }), { firmwareVersion: '0.5', systemVersion: '0.5.3' });
  assert.deepEqual(deviceOptionsFrom({ ...base, firmwareVersion: '6.x' }), { firmwareVersion: '6.x' });
  assert.deepEqual(deviceOptionsFrom({ ...base, profile: 'core', firmwareVersion: '0.4.7' }), { systemVersion: '0.4.7' });
  assert.deepEqual(deviceOptionsFrom({ ...base, profile: 'uboot', firmwareVersion: '2023.04' }), { ubootVersion: '2023.04' });
  assert.throws(() => deviceOptionsFrom({ ...base, profile: 'core', firmwareVersion: '1.5.2' }), /spark-core profile models Spark Core firmware 0\.4\.x/);
  assert.throws(() => deviceOptionsFrom({ ...base, profile: 'ymodem', firmwareVersion: '1.0.0' }), InputError);
});

test('fault flags become seeded fault options; out-of-range values are refused naming the flag', () => {
  const options = deviceOptionsFrom({ ...base, seed: 42, dropAck: 0.1, corrupt: 0, noise: 0.5, firstAnswerMs: 6000, dieAfter: 3, abortAfter: 1 });
  assert.equal(options.seed, 42);
  assert.deepEqual(options.faults, { dropAck: 0.1, corrupt: 0, noiseEverySeconds: 0.5, firstAnswerMs: 6000, dieAfterBlocks: 3, abortAfterBlocks: 1 });
  assert.equal('seed' in options.faults!, false, 'the faults share the device seed');
  assert.throws(() => deviceOptionsFrom({ ...base, dropAck: 1.01 }), /--drop-ack takes a probability from 0 to 1/);
  assert.throws(() => deviceOptionsFrom({ ...base, corrupt: -0.1 }), /--corrupt takes a probability/);
  assert.throws(() => deviceOptionsFrom({ ...base, dieAfter: 0 }), /--die-after takes a whole number of 1 or more/);
  assert.throws(() => deviceOptionsFrom({ ...base, abortAfter: 2.5 }), /--abort-after takes a whole number/);
  assert.throws(() => deviceOptionsFrom({ ...base, noise: 0 }), /--noise takes a number above 0/);
  assert.throws(() => deviceOptionsFrom({ ...base, timeScale: 0 }), /--time-scale takes a number above 0/);
  assert.equal(deviceOptionsFrom({ ...base }).faults, undefined, 'no fault flags, no faults');
});

test('options only some profiles have are refused for the others', () => {
  assert.throws(() => deviceOptionsFrom({ ...base, profile: 'ymodem', listening: true }), /--listening applies to the photon, p1, electron, spark-core profiles, not ymodem/);
  assert.throws(() => deviceOptionsFrom({ ...base, profile: 'uboot', writeMs: 5 }), /--write-ms applies to/);
  assert.deepEqual(deviceOptionsFrom({ ...base, profile: 'core', listening: true, eraseMs: 0, writeMs: 3 }), { listening: true, eraseMs: 0, writeMs: 3 });
  assert.equal(deviceOptionsFrom({ ...base, profile: 'ymodem', once: true }).once, true, 'ymodem --once listens for one batch');
  assert.equal(deviceOptionsFrom({ ...base, once: true }).once, undefined);
});

test('--listen takes tcp://HOST:PORT with port 0 allowed', () => {
  assert.deepEqual(parseListenUrl('tcp://127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenUrl('tcp://0.0.0.0:2000'), { host: '0.0.0.0', port: 2000 });
  assert.deepEqual(parseListenUrl('tcp://[::1]:65535'), { host: '::1', port: 65535 });
  assert.throws(() => parseListenUrl('127.0.0.1:2000'), /must start with tcp:\/\//);
  assert.throws(() => parseListenUrl('tcp://127.0.0.1'), /the port number is missing/);
  assert.throws(() => parseListenUrl('tcp://127.0.0.1:65536'), /cannot be parsed/);
  assert.throws(() => parseListenUrl('tcp://127.0.0.1:2000/x'), /only a host and a port/);
});
