/**
 * The fault matrix's judge itself: what it waits for before it looks at what the device holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settle } from './run.js';

test('the judge waits for an install the device announced, however much longer than usual a loaded machine makes it', async () => {
  const device = { mode: 'updating', receiving: false };
  let installed = false;
  setTimeout(() => {
    installed = true;
    device.mode = 'listening';
  }, 200);
  await settle({ device } as never, 20, () => !installed);
  assert.equal(installed, true, 'judged before the install ended');
});

test('a receiver that still runs after the run (the host gone) is waited for only that long', async () => {
  const started = performance.now();
  await settle({ device: { mode: 'listening', receiving: true } } as never, 50, () => false);
  const waited = performance.now() - started;
  assert.ok(waited >= 50 && waited < 10_000, `waited ${Math.round(waited)} ms`);
});
