/** The order of FlashEvents, as documented where the type is declared (src/flash/events.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { FlashEvent } from '../../src/flash/events.js';
import { flash } from '../../src/flash/flash.js';
import { fixture } from '../helpers/cli.js';

/** Device timings at 2% of the real ones. */
const TIME_SCALE = 0.02;

test('plan, open, entry steps, start, phases in order with progress never going back; traces only from open on', async () => {
  const port = startVirtualPort('photon', { timeScale: TIME_SCALE, noise: 0.05 });
  const events: FlashEvent[] = [];
  try {
    await flash({ port: port.path, binding: port.binding, file: fixture('photon-user-part.bin'), trace: true, timeScale: TIME_SCALE, onEvent: (e) => events.push(e) });
  } finally {
    port.close();
  }
  const types = events.map((event) => event.type);
  assert.equal(types[0], 'plan', 'plan first');
  assert.equal(types.filter((type) => type === 'plan').length, 1);
  const open = types.indexOf('open');
  const start = types.indexOf('start');
  assert.ok(open > 0 && types.lastIndexOf('open') === open, 'one open, after the plan');
  assert.ok(start > open && types.lastIndexOf('start') === start, 'one start, after open');
  assert.ok(types.slice(0, open).every((type) => type === 'plan'), 'nothing but the plan before open, no trace either');
  assert.ok(types.slice(open + 1, start).every((type) => ['step', 'device-text', 'trace'].includes(type)), 'entering the receiver: steps, device text, traffic');
  assert.ok(types.slice(open + 1, start).includes('step'), 'the entry is told in steps');
  const phases = events.flatMap((event) => (event.type === 'phase' ? [event.phase] : []));
  assert.deepEqual(phases, ['header', 'data', 'eot', 'end']);
  assert.ok(types.indexOf('phase') > start, 'phases come after start');
  const progress = events.flatMap((event) => (event.type === 'progress' ? [event.bytes] : []));
  assert.ok(progress.length > 0);
  assert.ok(progress.every((bytes, i) => i === 0 || bytes >= progress[i - 1]!), 'progress never goes back');
  const firstProgress = types.indexOf('progress');
  const dataPhase = events.findIndex((event) => event.type === 'phase' && event.phase === 'data');
  assert.ok(firstProgress > dataPhase, 'progress belongs to the data phase');
  assert.ok(types.includes('trace'));
});


test('transferSeconds runs from the receiver\'s first request: a receiver slow to ask does not show in the line\'s rate', async () => {
  // The device holds its first answer back for 1 s; that second belongs to `seconds` alone.
  const port = startVirtualPort('ymodem', { faults: { firstAnswerMs: 1_000 } });
  try {
    const result = await flash({ port: port.path, binding: port.binding, file: fixture('photon-user-part.bin'), target: 'ymodem' });
    assert.ok('transferSeconds' in result);
    assert.ok(result.seconds - result.transferSeconds >= 0.9, `${result.seconds.toFixed(3)} s in all, ${result.transferSeconds.toFixed(3)} s of transfer`);
  } finally {
    port.close();
  }
});
