/** Colour only on a terminal, never with NO_COLOR or TERM=dumb, and on the stream the text goes to. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { colorEnabled, paint } from '../../src/cli/color.js';
import type { Output } from '../../src/cli/output.js';
import { HumanRenderer } from '../../src/cli/render/human.js';
import { RunReport } from '../../src/cli/report.js';
import { fixture, REPO_ROOT } from '../helpers/cli.js';
import { skipUnless } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';

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
  renderer.success({ ok: true, port: '/dev/x', target: 'particle', bytes: 10, seconds: 1, transferSeconds: 0.5, retries: 0 });
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

const SCRIPT = { name: 'script', apt: 'bsdutils' };

/** The CLI on a real terminal (util-linux `script` gives it a pty), flashing a virtual Photon in-process. */
async function flashOnTerminal(env: NodeJS.ProcessEnv): Promise<string> {
  const dir = tempDir('color');
  const harness = join(dir, 'harness.mjs');
  writeFileSync(
    harness,
    `import { startVirtualPort } from ${JSON.stringify(`${REPO_ROOT}dist/src/emulator/index.js`)};
import { main } from ${JSON.stringify(`${REPO_ROOT}dist/src/cli/main.js`)};
const port = startVirtualPort('photon', { timeScale: 0.02 });
process.exitCode = await main([port.path, ${JSON.stringify(fixture('photon-user-part.bin'))}], undefined, { binding: port.binding });
port.close();
`,
  );
  const run = spawnSync('script', ['-qec', `${process.execPath} ${harness}`, '/dev/null'], { env: { ...process.env, TERM: 'xterm', ...env }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  return run.stdout;
}

test('on a real terminal the result is coloured; NO_COLOR=1 on the same terminal turns it off', { skip: skipUnless(SCRIPT) }, async () => {
  const noColor: NodeJS.ProcessEnv = { NO_COLOR: undefined };
  const coloured = await flashOnTerminal(noColor);
  assert.match(coloured, /\x1b\[32m✔\x1b\[39m Flashed 4004 bytes/);
  const plain = await flashOnTerminal({ NO_COLOR: '1' });
  assert.match(plain, /✔ Flashed 4004 bytes/);
  assert.doesNotMatch(plain, /\x1b\[3\dm/, 'no colour codes (the progress bar still moves the cursor)');
});
