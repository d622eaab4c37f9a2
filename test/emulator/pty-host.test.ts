/**
 * The path of a served pty, while the device behind it goes away and comes back: like a USB
 * device's node, it vanishes before the old pty closes and names the new pty once it exists.
 * Pts numbers are reused at once, so a path left naming a closed pty can lead a flasher that
 * reopens it (after a reset, or with --wait) into another program's pseudo-terminal.
 */
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readlinkSync, readSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { canRelayLineRate, servePty } from '../../src/emulator/pty-host.js';

const skip = canRelayLineRate() ? false : 'needs Linux and perl (apt-get install perl)';
const RESETS = 30;
/** A hangup is seen within microseconds of the close; this bounds a relay that never closes. */
const HANGUP_WITHIN_MS = 5000;

test('a device that goes away takes its pty path first: the path never names a closed pty', { skip, timeout: 30_000 }, async () => {
  const sessions: Socket[] = [];
  const server: Server = createServer((socket) => sessions.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const pty = await servePty({ host: '127.0.0.1', port });
  try {
    for (let reset = 0; reset < RESETS; reset++) {
      const served = await linkTarget(pty.path);
      // Holding the slave keeps its number taken, so the old and the new pty never share one.
      const slave = openSync(pty.path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
      try {
        while (sessions.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        sessions.shift()!.destroy();
        // The path is read the moment the hangup shows, with nothing in between; the event loop
        // turns only between looks, so the socket can close.
        const deadline = Date.now() + HANGUP_WITHIN_MS;
        let namedAtHangup: string | undefined;
        for (;;) {
          assert.ok(Date.now() < deadline, 'the relay did not hang its pty up after the device went');
          if (hungUp(slave)) {
            namedAtHangup = readLinkOrNothing(pty.path);
            break;
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.notEqual(namedAtHangup, served, `reset ${reset + 1}: ${pty.path} still named the closed ${served}`);
      } finally {
        closeSync(slave);
      }
    }
  } finally {
    await pty.close();
    for (const socket of sessions) socket.destroy();
    server.close();
  }
});

/** The pty a path names, once the relay has made it. */
async function linkTarget(path: string): Promise<string> {
  for (;;) {
    const target = readLinkOrNothing(path);
    if (target) return target;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function readLinkOrNothing(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** A hung-up tty reads end of file or EIO; an idle one EAGAIN. */
function hungUp(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(64)) === 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    return true;
  }
}
