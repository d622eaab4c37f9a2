import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DisconnectedError, PortError } from '../../src/errors.js';
import type { Connection } from '../../src/transport/connection.js';
import { translateOpenError } from '../../src/transport/port-errors.js';
import { openSerial, type OpenSerialOptions } from '../../src/transport/serial.js';
import { otherHoldersOf, ptySkipReason, startPtyPair, type PtyPair } from './pty-pair.js';
import { ALL_BYTE_VALUES, patternBytes, readBytes } from './stream-helpers.js';

const BAUD = 115200;
/** Each case takes milliseconds; a stuck one should fail with its name rather than hang the run. */
const SUITE_TIMEOUT_MS = 30_000;

/** openSerial on a pty of this file's own; should it be busy, the failure names who else has it. */
async function openOwn(path: string, options: OpenSerialOptions): Promise<Connection> {
  try {
    return await openSerial(path, options);
  } catch (error) {
    if (error instanceof PortError && error.code === 'PORT_BUSY') {
      error.message += ` Also open in: ${(await otherHoldersOf(path)).join('; ') || 'no other process'}.`;
    }
    throw error;
  }
}

describe('openSerial on a real pseudo-terminal pair', { skip: ptySkipReason, timeout: SUITE_TIMEOUT_MS }, () => {
  let pair: PtyPair;
  before(async () => {
    pair = await startPtyPair();
  });
  after(async () => {
    await pair.stop();
  });

  it('carries every byte value and boundary-sized blocks unchanged in both directions', async () => {
    const a = await openOwn(pair.a, { baudRate: BAUD });
    const b = await openOwn(pair.b, { baudRate: BAUD });
    try {
      assert.equal(a.kind, 'pty');
      assert.equal(a.path, pair.a);
      for (const size of [1, 127, 128, 129, 1023, 1024, 1025]) {
        const data = patternBytes(size, size);
        const arriving = readBytes(b.stream, size);
        a.stream.write(data);
        assert.deepEqual(await arriving, data, `a→b, ${size} bytes`);
        const back = readBytes(a.stream, size);
        b.stream.write(data);
        assert.deepEqual(await back, data, `b→a, ${size} bytes`);
      }
      // CR, ^C, ^D, XON/XOFF and DEL would be altered or swallowed by a cooked tty.
      const arriving = readBytes(a.stream, ALL_BYTE_VALUES.length);
      b.stream.write(ALL_BYTE_VALUES);
      assert.deepEqual(await arriving, ALL_BYTE_VALUES);
      await a.drain();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reads what a plain file-descriptor writer sends, so its own settings make the line raw', async () => {
    const a = await openOwn(pair.a, { baudRate: BAUD });
    const peer = await fsp.open(pair.b, 'r+');
    try {
      const arriving = readBytes(a.stream, ALL_BYTE_VALUES.length);
      await peer.write(ALL_BYTE_VALUES);
      assert.deepEqual(await arriving, ALL_BYTE_VALUES);
    } finally {
      await peer.close();
      await a.close();
    }
  });

  it('changes the baud rate, including the non-standard 28800 that Particle devices watch for', async () => {
    const a = await openOwn(pair.a, { baudRate: 9600 });
    try {
      assert.equal(a.baudRate, 9600);
      for (const rate of [28800, 115200, 921600, 9600]) {
        await a.setBaudRate(rate);
        assert.equal(a.baudRate, rate);
        // Ask the kernel, not our bookkeeping.
        const port = (a.stream as unknown as { port: { getBaudRate(): Promise<{ baudRate: number }> } }).port;
        assert.equal((await port.getBaudRate()).baudRate, rate);
      }
      await assert.rejects(a.setBaudRate(0), { code: 'BAD_BAUD_RATE' });
    } finally {
      await a.close();
    }
  });

  it('has no modem lines on a pty: canSignal is false, asking for DTR neither fails nor does anything', async () => {
    const a = await openOwn(pair.a, { baudRate: BAUD, dtr: true });
    try {
      assert.equal(a.canSignal, false);
      assert.equal(a.usb, undefined);
      await a.setSignals({ dtr: false, rts: false });
    } finally {
      await a.close();
    }
  });

  it('closes cleanly twice, resolves closed without an error, and refuses use afterwards', async () => {
    const a = await openOwn(pair.a, { baudRate: BAUD });
    await a.close();
    await a.close();
    assert.deepEqual(await a.closed, {});
    assert.equal(a.stream.destroyed, true);
    await assert.rejects(a.setBaudRate(9600), DisconnectedError);
    await assert.rejects(a.drain(), DisconnectedError);
    // The exclusive lock is gone: the port opens again.
    const again = await openOwn(pair.a, { baudRate: BAUD });
    await again.close();
  });

  it('reports a port held by another opener as PORT_BUSY and leaves the holder working', async () => {
    const holder = await openOwn(pair.a, { baudRate: BAUD });
    const b = await openOwn(pair.b, { baudRate: BAUD });
    try {
      const error = await openSerial(pair.a, { baudRate: BAUD }).then(
        () => assert.fail('a second open succeeded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'PORT_BUSY');
      assert.match(error.message, /in use by another program/);
      assert.doesNotMatch(error.message, /\n/);
      const arriving = readBytes(holder.stream, 3);
      b.stream.write(Buffer.from([0x43, 0x06, 0x15]));
      assert.deepEqual(await arriving, Buffer.from([0x43, 0x06, 0x15]));
    } finally {
      await holder.close();
      await b.close();
    }
  });
});

/** A lost line is reported within milliseconds; this bound turns a missed loss into a failure. */
const LOSS_REPORTED_WITHIN_MS = 5000;

describe('openSerial when the line goes away', { skip: ptySkipReason, timeout: SUITE_TIMEOUT_MS }, () => {
  // The kernel hangs the tty up. A read in flight may see EIO; a read started after the hangup
  // gets zero bytes on every attempt, which the native binding alone retries forever.
  for (const readingWhenLost of [true, false, true, false]) {
    const when = readingWhenLost ? 'while a read is pending' : 'before the first read';
    it(`resolves closed with a DisconnectedError when the other end vanishes ${when}`, async () => {
      const pair = await startPtyPair();
      let a: Connection | undefined;
      try {
        a = await openSerial(pair.a, { baudRate: BAUD });
        if (readingWhenLost) a.stream.resume();
        pair.socat.kill('SIGKILL');
        await once(pair.socat, 'exit');
        if (!readingWhenLost) a.stream.resume();
        const outcome = await Promise.race([
          a.closed,
          new Promise<'not reported'>((resolve) => setTimeout(() => resolve('not reported'), LOSS_REPORTED_WITHIN_MS)),
        ]);
        assert.notEqual(outcome, 'not reported');
        const { error } = outcome as { error?: Error };
        assert.ok(error instanceof DisconnectedError, `closed with ${String(error)}`);
        assert.match(error.message, /went away/);
        await assert.rejects(a.setBaudRate(9600), DisconnectedError);
      } finally {
        await a?.close();
        await pair.stop();
      }
    });
  }
});

describe('openSerial opening errors', { timeout: SUITE_TIMEOUT_MS }, () => {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'serial-flash-open-'));
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('names a missing port and lists the ports that do exist', async () => {
    const missing = join(dir, 'ttyACM9');
    await assert.rejects(openSerial(missing, { baudRate: BAUD }), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'PORT_NOT_FOUND');
      assert.ok(error.message.startsWith(`${missing} does not exist; `), error.message);
      assert.match(error.message, /ports found: \/dev\/|no serial ports were found — is the device plugged in\?/);
      return true;
    });
  });

  it('refuses /dev/null and a regular file as NOT_A_SERIAL_DEVICE', { skip: process.platform === 'win32' }, async () => {
    const file = join(dir, 'firmware.bin');
    await fsp.writeFile(file, Buffer.from([1, 2, 3]));
    for (const [path, why] of [
      ['/dev/null', /does not accept serial line settings/],
      [file, /regular file/],
      [dir, /directory/],
    ] as const) {
      await assert.rejects(openSerial(path, { baudRate: BAUD }), (error: unknown) => {
        assert.ok(error instanceof PortError, String(error));
        assert.equal(error.code, 'NOT_A_SERIAL_DEVICE', `${path}: ${error.message}`);
        assert.match(error.message, why);
        return true;
      });
    }
  });

  it('refuses a bad baud rate before touching the port', async () => {
    await assert.rejects(openSerial('/dev/null', { baudRate: 0 }), { code: 'BAD_BAUD_RATE' });
    await assert.rejects(openSerial('/dev/null', { baudRate: 1.5 }), { code: 'BAD_BAUD_RATE' });
  });
});

// Root opens anything, so the permission case runs in a child process with nobody's uid.
const PERMISSION_CHILD = fileURLToPath(new URL('./permission-child.js', import.meta.url));
const NOBODY = 65534;
const permissionSkip =
  ptySkipReason ??
  (process.platform === 'win32' ? 'no Unix permissions' : undefined) ??
  (process.getuid?.() === 0 ? undefined : 'needs root to drop to an unprivileged user (run as root)');

describe('openSerial permission errors (real open as an unprivileged user)', { skip: permissionSkip, timeout: SUITE_TIMEOUT_MS }, () => {
  let pair: PtyPair;
  let device: string;
  before(async () => {
    pair = await startPtyPair();
    device = await fsp.realpath(pair.a);
  });
  after(async () => {
    await pair.stop();
  });

  function openAsNobody(): { code: string; message: string } {
    const result = spawnSync(process.execPath, [PERMISSION_CHILD, device], {
      uid: NOBODY,
      gid: NOBODY,
      encoding: 'utf8',
      timeout: SUITE_TIMEOUT_MS / 2,
    });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout) as { code: string; message: string };
  }

  it('mode 000: PORT_PERMISSION_DENIED with the dialout/uucp advice', async () => {
    await fsp.chmod(device, 0o000);
    const { code, message } = openAsNobody();
    assert.equal(code, 'PORT_PERMISSION_DENIED', message);
    assert.match(message, /sudo usermod -aG dialout \$USER/);
    assert.match(message, /uucp/);
    assert.ok(message.includes(`ls -l ${device}`));
  });

  it('group-writable port: names the group that would grant access', async () => {
    const groups = (await fsp.readFile('/etc/group', 'utf8')).split('\n').map((line) => line.split(':'));
    const group = groups.find(([name, , gid]) => name === 'dialout' && gid !== undefined) ?? groups.find(([, , gid]) => gid === '5');
    if (!group) return;
    await fsp.chown(device, 0, Number(group[2]));
    await fsp.chmod(device, 0o660);
    const { code, message } = openAsNobody();
    assert.equal(code, 'PORT_PERMISSION_DENIED', message);
    assert.ok(message.includes(`sudo usermod -aG ${group[0]} $USER`), message);
  });
});

describe('translateOpenError on messages other bindings and platforms produce', () => {
  it('recognises the message text when the path gives no clue', async () => {
    const cases: Array<[string, string]> = [
      ['Error Resource temporarily unavailable Cannot lock port', 'PORT_BUSY'],
      ['Error: Device or resource busy, cannot open X', 'PORT_BUSY'],
      ['Port is locked cannot open', 'PORT_BUSY'],
      ['Error: Permission denied, cannot open X', 'PORT_PERMISSION_DENIED'],
      ['Error: Inappropriate ioctl for device setting custom baud rate of 115200', 'NOT_A_SERIAL_DEVICE'],
      ['Error: No such file or directory, cannot open X', 'PORT_NOT_FOUND'],
      ['Error: No such device or address, cannot open X', 'PORT_NOT_FOUND'],
      ['Error: Input/output error, cannot open X', 'PORT_NOT_FOUND'],
    ];
    for (const [message, code] of cases) {
      const translated = await translateOpenError('virtual:nowhere', new Error(message));
      assert.equal(translated.code, code, message);
      assert.equal(translated.context.systemMessage, message.replace(/^Error:?\s*/, ''));
      assert.ok(translated.cause instanceof Error);
    }
  });

  it('falls back to looking at the path when the text is unfamiliar (e.g. translated)', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'serial-flash-xlate-'));
    try {
      const missing = await translateOpenError(join(dir, 'nope'), new Error('Fehler: Datei nicht gefunden'));
      assert.equal(missing.code, 'PORT_NOT_FOUND');
      const file = join(dir, 'plain');
      await fsp.writeFile(file, '');
      assert.equal((await translateOpenError(file, new Error('Fehler'))).code, 'NOT_A_SERIAL_DEVICE');
      const unknown = await translateOpenError('/dev/null', new Error('Error: something new happened'));
      assert.equal(unknown.code, 'PORT_OPEN_FAILED');
      assert.match(unknown.message, /something new happened/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('does not read the path as part of the message', async () => {
    const translated = await translateOpenError('/dev/busy-permission-denied', new Error('Error: No such file or directory, cannot open /dev/busy-permission-denied'));
    assert.equal(translated.code, 'PORT_NOT_FOUND');
  });
});
