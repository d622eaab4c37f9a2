/**
 * Reporting a hung-up port. When a tty is hung up (a USB device vanishes, a pty's other end
 * closes) the kernel makes every read return zero bytes at once. The native binding's Unix
 * read retries a zero-byte read immediately, so it spins forever and serialport never reports
 * the loss. This read waits for the port to be readable between attempts and takes "readable,
 * yet nothing to read" twice in a row as the hangup it is.
 */
import { read } from 'node:fs';
import { promisify } from 'node:util';
import type { BindingInterface, BindingPortInterface } from '@serialport/bindings-cpp';

/** A non-blocking tty read returns EAGAIN when empty; zero bytes after a readable poll is end of file. */
const EMPTY_READS_MEANING_HANGUP = 2;
const RETRY_CODES = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

const readAsync = promisify(read);

/** The parts of the native Unix port (Linux, macOS) this read relies on. */
interface UnixPort extends BindingPortInterface {
  fd: number | null;
  poller: { once(event: 'readable', callback: (error: Error | null) => void): unknown };
}

/** Wraps a native binding so its Unix ports report a hangup as a read error (a disconnect). */
export function withHangupDetection(binding: BindingInterface): BindingInterface {
  return {
    list: () => binding.list(),
    async open(options) {
      const port = await binding.open(options);
      if (isUnixPort(port)) {
        port.read = (buffer: Buffer, offset: number, length: number) => readUntilHangup(port, buffer, offset, length);
      }
      return port;
    },
  };
}

function isUnixPort(port: BindingPortInterface): port is UnixPort {
  const candidate = port as Partial<UnixPort>;
  return typeof candidate.fd === 'number' && typeof candidate.poller?.once === 'function';
}

async function readUntilHangup(
  port: UnixPort,
  buffer: Buffer,
  offset: number,
  length: number,
): Promise<{ buffer: Buffer; bytesRead: number }> {
  let emptyReads = 0;
  for (;;) {
    const fd = port.fd;
    if (!port.isOpen || fd === null) throw cancelled();
    try {
      const { bytesRead } = await readAsync(fd, buffer, offset, length, null);
      if (bytesRead > 0) return { buffer, bytesRead };
      emptyReads++;
    } catch (error) {
      // Anything else (EIO, ENXIO, EBADF) is not cancelled, so serialport treats it as a disconnect.
      if (!RETRY_CODES.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      emptyReads = 0;
    }
    if (emptyReads >= EMPTY_READS_MEANING_HANGUP) {
      throw Object.assign(new Error('the port hung up'), { code: 'EHANGUP' });
    }
    if (!port.isOpen) throw cancelled();
    await new Promise<void>((resolve, reject) => port.poller.once('readable', (error) => (error ? reject(error) : resolve())));
  }
}

/** serialport ignores read errors marked cancelled: they are how a requested close ends a read. */
function cancelled(): Error {
  return Object.assign(new Error('Port is not open'), { canceled: true });
}
