/**
 * The CLI against receivers that misbehave on real pseudo-terminals (misbehaving/receivers.ts):
 * never a success the receiver did not earn, never a hang, and every failure one sentence.
 * Each run is killed after RUN_LIMIT_MS; being killed is a failure of the test (a hang).
 */
import assert from 'node:assert/strict';
import { chmodSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CRC_REQUEST, NAK } from '../../src/protocol/control-bytes.js';
import { fixture, runCli, type CliRun } from '../helpers/cli.js';
import { LRZSZ, SOCAT, skipUnless } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';
import { sentenceProblem } from './judge.js';
import { type Misbehaviour, type MisbehavingReceiver, startMisbehavingReceiver } from './misbehaving/receivers.js';

/** Far beyond every bounded wait below: a run still going then is hanging. */
const RUN_LIMIT_MS = 90_000;
const ECHO_SENTENCE = 'the line echoes what is sent — a terminal with echo on, or a half-duplex adapter';
const skipPty = skipUnless(SOCAT);
const work = tempDir('misbehaving');
/** Fixed so the header block (which carries them) is the same on every run. */
const MTIME_SECONDS = 1_700_000_000;
const MODE = 0o644;
/** Twice the 1K blocks the pseudo-terminals and socat hold before a write stalls (about 30). */
const ACKS_PAST_FULL_LINE = 60;

function imageFile(name: string, size: number, seed = size): { path: string; data: Buffer } {
  const path = join(work, name);
  const data = testData(size, seed);
  writeFileSync(path, data);
  chmodSync(path, MODE);
  utimesSync(path, MTIME_SECONDS, MTIME_SECONDS);
  return { path, data };
}

async function flashAgainst(
  behaviour: Misbehaviour,
  file: string,
  args: string[],
  during?: (run: { kill(signal: NodeJS.Signals): void }, receiver: MisbehavingReceiver) => void,
  target = 'ymodem',
) {
  const receiver = await startMisbehavingReceiver(behaviour);
  try {
    const run = await runCli([receiver.path, file, '-t', target, ...args], {
      timeoutMs: RUN_LIMIT_MS,
      onSpawn: (child) => during?.({ kill: (signal) => child.kill(signal) }, receiver),
    });
    return { run, receiver };
  } finally {
    await receiver.stop();
  }
}

function assertHonestFailure(run: CliRun): string {
  assert.equal(run.signal, null, `killed after ${RUN_LIMIT_MS / 1000} s: it hung\n${run.stderr}`);
  assert.notEqual(run.code, 0, `a false success:\n${run.stdout}${run.stderr}`);
  assert.doesNotMatch(run.stdout + run.stderr, /Flashed/);
  const message = run.stderr.trim().split('\n').at(-1)!.replace(/^(✖\s*|serial-flash: )/, '');
  assert.equal(sentenceProblem(message), undefined, run.stderr);
  return message;
}

/** A file whose header block, echoed back, shows an ACK byte before any NAK (about 1 name in 128). */
function fileWhoseEchoedHeaderHoldsAck(size: number): string {
  for (let i = 0; ; i++) {
    const name = `echo-${i}.bin`;
    const frame = encodeHeaderBlock({ name, size, mtimeSeconds: MTIME_SECONDS, mode: 0o100000 | MODE });
    const ack = frame.indexOf(ACK);
    const nak = frame.indexOf(NAK);
    if (ack >= 0 && (nak < 0 || ack < nak)) return imageFile(name, size).path;
  }
}

for (const seed of [1, 2, 3]) {
  test(`noise (random bursts, seed ${seed}) never passes for a receiver`, { skip: skipPty }, async () => {
    const { path } = imageFile(`noise-${seed}.bin`, 20_000);
    const { run } = await flashAgainst({ kind: 'noise', seed }, path, ['--start-timeout', '5']);
    assertHonestFailure(run);
  });
}

// A device family's own path (its listening-mode entry, its dialect) must not turn noise into a success either.
for (const [target, image] of [['particle', 'photon-user-part.bin'], ['spark-core', 'core-app-0x08005000.bin']] as const) {
  test(`noise never passes for a ${target} device`, { skip: skipPty }, async () => {
    const { run } = await flashAgainst({ kind: 'noise', seed: 3 }, fixture(image), [], undefined, target);
    assertHonestFailure(run);
  });
}

for (const [target, file, args] of [
  ['ymodem', () => imageFile('answer-flood.bin', 20_000).path, ['--start-timeout', '5', '--timeout', '1', '--retries', '1']],
  ['spark-core', () => fixture('core-app-0x08005000.bin'), []],
] as const) {
  test(`C and ACK without a pause (every answer, none earned) never pass for a ${target} receiver`, { skip: skipPty }, async () => {
    const { run } = await flashAgainst({ kind: 'answer-flood' }, file(), [...args], undefined, target);
    assertHonestFailure(run);
  });
}

test('a line that echoes everything, nobody behind it, is named as such', { skip: skipPty }, async () => {
  const { run } = await flashAgainst({ kind: 'echo' }, fileWhoseEchoedHeaderHoldsAck(20_000), ['--start-timeout', '5']);
  const message = assertHonestFailure(run);
  assert.ok(message.includes(ECHO_SENTENCE), message);
});

test('a line that echoes everything, with no stray request, is named as such', { skip: skipPty }, async () => {
  const { path } = imageFile('echo-quiet.bin', 5_000);
  const { run } = await flashAgainst({ kind: 'echo', strayRequest: false }, path, ['--start-timeout', '3']);
  const message = assertHonestFailure(run);
  assert.ok(message.includes(ECHO_SENTENCE) || /did not ask for the file/.test(message), message);
});

test('a real receiver (lrzsz rb) behind an echoing half-duplex line gets the file whole', { skip: skipUnless(SOCAT, LRZSZ) }, async () => {
  const { path, data } = imageFile('behind-echo.bin', 20_000);
  const receiver = await startMisbehavingReceiver({ kind: 'echo-in-front-of-rb' });
  try {
    const run = await runCli([receiver.path, path, '-t', 'ymodem'], { timeoutMs: RUN_LIMIT_MS });
    assert.equal(run.signal, null, `it hung:\n${run.stderr}`);
    if (run.code === 0) {
      const rb = await receiver.rbFile();
      assert.ok(rb.data?.equals(data), 'rb holds the file, byte for byte');
    } else {
      assert.ok(run.stderr.includes(ECHO_SENTENCE), run.stderr);
    }
  } finally {
    await receiver.stop();
  }
});

for (const [label, byte] of [['C', CRC_REQUEST], ['NAK', NAK]] as const) {
  test(`a continuous stream of ${label} before the header: --start-timeout is honoured`, { skip: skipPty }, async () => {
    const { path } = imageFile(`flood-${label}.bin`, 5_000);
    const { run } = await flashAgainst({ kind: 'flood', byte, after: 'start' }, path, ['--start-timeout', '3']);
    assertHonestFailure(run);
    assert.ok(run.stderr.length < 10_000, `it printed ${run.stderr.length} bytes of the flood`);
  });

  test(`a continuous stream of ${label} after the header's ACK: --timeout 1 --retries 1 ends it`, { skip: skipPty }, async () => {
    const { path } = imageFile(`flood-after-${label}.bin`, 5_000);
    const { run } = await flashAgainst({ kind: 'flood', byte, after: 'header' }, path, ['--timeout', '1', '--retries', '1']);
    assertHonestFailure(run);
    assert.ok(run.stderr.length < 10_000, `it printed ${run.stderr.length} bytes of the flood`);
  });
}

test('a receiver that stops reading (its buffers fill, writes never complete) ends in a sentence', { skip: skipPty }, async () => {
  const { path } = imageFile('stops-reading.bin', 200_000);
  const { run } = await flashAgainst({ kind: 'stops-reading' }, path, ['--timeout', '1', '--retries', '20']);
  assert.match(assertHonestFailure(run), /^The port stopped taking data: 1029 bytes could not be written within/);
});

test('Ctrl-C while a write is stuck stops at once', { skip: skipPty }, async () => {
  const { path } = imageFile('stops-reading-sigint.bin', 200_000);
  // --timeout 30: the write deadline is far away, so only the signal can end this run soon.
  // It goes once the receiver has said ACK for twice the blocks the line holds (about 30 KB
  // in the ptys and socat), so the sender's writes are stuck by then however slow it ran.
  const { run } = await flashAgainst({ kind: 'stops-reading' }, path, ['--timeout', '30', '--retries', '20'], (child, receiver) => {
    const waiting = setInterval(() => {
      if (receiver.stuckAcks() < ACKS_PAST_FULL_LINE) return;
      clearInterval(waiting);
      child.kill('SIGTERM');
    }, 50).unref();
  });
  assert.match(assertHonestFailure(run), /^The transfer was cancelled after \d+ of 200000 bytes; the receiver could not be told to discard it, because the port stopped taking data/);
});
