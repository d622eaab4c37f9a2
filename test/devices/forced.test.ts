/**
 * `--force` overrides a refusal, and says so wherever the flash is described: the plan names
 * what was overridden (and never calls it checked), a real flash warns before sending, and
 * the result records it — human and JSON, through the real CLI on a virtual Spark Core port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import type { SparkCoreDevice } from '../../src/emulator/spark-core-device.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';

const LINKED_ELSEWHERE = fixture('core-app-0x0800A000.bin');
const FINDING = /core-app-0x0800A000\.bin is linked for 0x0800A000 \(reset handler 0x0800A1C5\), but the Spark Core runs applications from 0x08005000/;

test('a forced dry run names what --force overrode and does not say all checks passed', async () => {
  const refused = await runMain(['/dev/serial-flash-test-none', LINKED_ELSEWHERE, '-t', 'spark-core', '-n']);
  assert.equal(refused.code, 2, refused.stderr);

  const forced = await runMain(['/dev/serial-flash-test-none', LINKED_ELSEWHERE, '-t', 'spark-core', '-n', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, new RegExp(`^Forced: {2}${FINDING.source}; sent anyway \\(--force\\)$`, 'm'));
  assert.match(forced.stdout, /^Dry run: checks passed except what --force overrode/m);
  assert.doesNotMatch(forced.stdout, /all checks passed/);
  // The address is the Core's, not the image's own, and the image is not called what it was refused as.
  assert.match(forced.stdout, /^Address: 0x08005000 \(where the Spark Core installs every application\)$/m);
  assert.doesNotMatch(forced.stdout, /the image's own|application for 0x08005000/);

  const json = await runMain(['/dev/serial-flash-test-none', LINKED_ELSEWHERE, '-t', 'spark-core', '-n', '--force', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const type of ['plan', 'result']) {
    const forcedList = lines.find((line) => line.type === type)!.forced as { field: string; actual: string; message: string }[];
    assert.deepEqual(forcedList.map((refusal) => [refusal.field, refusal.actual]), [['reset-handler', '0x0800A1C5']], type);
    assert.match(forcedList[0]!.message, FINDING);
  }

  const clean = await runMain(['/dev/serial-flash-test-none', fixture('core-app-0x08005000.bin'), '-t', 'spark-core', '-n']);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /Dry run: all checks passed/);
  assert.doesNotMatch(clean.stdout, /Forced/);
});

test('a forced flash warns once on stderr before sending, even with --quiet, and its result records it', async () => {
  const image = readFileSync(LINKED_ELSEWHERE);
  const port = startVirtualPort('core', { timeScale: 0.05 });
  try {
    const quiet = await runMain([port.path, LINKED_ELSEWHERE, '--force', '--quiet'], port.binding);
    assert.equal(quiet.code, 0, quiet.stderr);
    const warnings = quiet.stderr.split('\n').filter((line) => line.includes('warning'));
    assert.equal(warnings.length, 1, quiet.stderr);
    assert.match(warnings[0]!, new RegExp(`^serial-flash: warning: sending core-app-0x0800A000\\.bin although the checks refused it \\(--force\\): ${FINDING.source}\\.$`));
    assert.match(quiet.stdout, /✔ Flashed 5000 bytes/);
    assert.match(quiet.stdout, new RegExp(`forced: sent although the checks refused it \\(--force\\): ${FINDING.source}`));
    const core = port.device as SparkCoreDevice;
    assert.deepEqual(core.flash.read(0x08005000, image.length), image, 'the forced image was sent and installed');

    const json = await runMain([port.path, LINKED_ELSEWHERE, '--force', '--json', '--wait', '10'], port.binding);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const types = lines.map((line) => line.type);
    assert.ok(types.indexOf('warning') >= 0 && types.indexOf('warning') < types.indexOf('open'), types.join(' '));
    assert.match(lines.find((line) => line.type === 'warning')!.message as string, FINDING);
    const result = lines.at(-1)!;
    assert.equal(result.ok, true);
    assert.deepEqual((result.forced as { field: string }[]).map((refusal) => refusal.field), ['reset-handler']);
    // In JSON mode stderr carries the human text; the warning is there once too.
    assert.equal(json.stderr.split('\n').filter((line) => line.includes('warning')).length, 1, json.stderr);
  } finally {
    port.close();
  }
});

test('several devices forced at once: one warning per port on stderr, even with --quiet', async () => {
  const binding = new VirtualBinding();
  const ports = ['a', 'b'].map((name) => startVirtualPort('core', { timeScale: 0.05, binding, path: `/dev/virtual-core-${name}` }));
  try {
    const run = await runMain([LINKED_ELSEWHERE, ...ports.flatMap((port) => ['-p', port.path]), '--force', '--quiet'], binding);
    assert.equal(run.code, 0, run.stderr);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('warning'));
    assert.deepEqual(warnings.map((line) => line.split(':')[1]!.trim()).sort(), ports.map((port) => port.path));
    for (const line of warnings) assert.match(line, FINDING);
  } finally {
    for (const port of ports) port.close();
  }
});
