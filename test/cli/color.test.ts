/** Colour only on a terminal, never with NO_COLOR or TERM=dumb, and on the stream the text goes to. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { colorEnabled, paint } from '../../src/cli/color.js';
import type { Output } from '../../src/cli/output.js';
import { HumanRenderer } from '../../src/cli/render/human.js';
import { RunReport } from '../../src/cli/report.js';

const ESC = '\x1b[';

test('colour needs a terminal, and NO_COLOR (any non-empty value) or TERM=dumb turn it off', () => {
  const tty = { isTTY: true };
  assert.equal(colorEnabled(tty, {}), true);
  assert.equal(colorEnabled({ isTTY: false }, {}), false);
  assert.equal(colorEnabled({}, {}), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: 'false' }), false, 'any value counts (no-color.org)');
  assert.equal(colorEnabled(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR is unset');
  assert.equal(colorEnabled(tty, { TERM: 'dumb' }), false);
});

test("paint obeys our decision, not Node's look at process.stdout (a pipe under the test runner)", () => {
  assert.equal(process.stdout.isTTY, undefined, 'this test means something only when stdout is not a terminal');
  assert.ok(paint(true, 'green', 'ok').startsWith(ESC));
  assert.equal(paint(false, 'green', 'ok'), 'ok');
});

function renderSuccess(color: boolean): string {
  const out = new PassThrough();
  const renderer = new HumanRenderer({ out, quiet: false, verbose: true, color });
  renderer.onEvent({ type: 'step', message: 'sending f' });
  renderer.onEvent({ type: 'device-text', text: 'Downloaded file successfully!' });
  renderer.success({ ok: true, port: '/dev/x', target: 'particle', bytes: 10, seconds: 1, retries: 0 });
  return String(out.read());
}

test('the human renderer colours only when told to', () => {
  assert.ok(renderSuccess(true).includes(ESC));
  assert.ok(!renderSuccess(false).includes(ESC));
});

test('in --json mode human text goes to stderr and takes stderr’s colour setting', () => {
  const output: Output = { stdout: new PassThrough(), stderr: new PassThrough(), color: true, errorColor: false, error: () => undefined };
  const human = new RunReport(output, ['x.bin']);
  assert.equal(human.humanOut, output.stdout);
  assert.equal(human.humanColor, true);
  const json = new RunReport(output, ['x.bin', '--json']);
  assert.equal(json.humanOut, output.stderr);
  assert.equal(json.humanColor, false);
});
