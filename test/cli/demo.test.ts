/** `npm run demo` ends on its own within seconds, exit 0, saying what the virtual Photon installed and where. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';

/** The demo is paced to take about 3 s; 15 s leaves room for a loaded CI machine. */
const DEMO_DEADLINE_MS = 15_000;

test('the demo flashes the virtual Photon and reports the install', { timeout: DEMO_DEADLINE_MS + 5_000 }, async () => {
  const started = performance.now();
  const child = spawn(process.execPath, [`${REPO_ROOT}dist/src/cli/demo.js`], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_DEADLINE_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, stderr);
  assert.ok(performance.now() - started < DEMO_DEADLINE_MS);
  assert.match(stdout, /setting 9600 then 28800 baud to put the device in listening mode/);
  assert.match(stdout, /device: Downloaded file successfully!/);
  assert.match(stdout, /Flashed 4004 bytes to \/dev\/virtual-photon at 0x080A0000 \(particle\)/);
  assert.match(stdout, /received photon-user-part\.bin, 4004 bytes, into its OTA area at 0x080C0000/);
  assert.match(stdout, /installed it at 0x080A0000 \(the user part\)/);
  assert.match(stdout, /the user part now holds the file byte for byte/);
});
