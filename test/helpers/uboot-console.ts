/**
 * A U-Boot console seen from the host, for tests: a real U-Boot in QEMU (its console on a
 * pseudo-terminal) or the emulated one, through serialport's real stream either way. Waits
 * on the bytes themselves, never on sleeps.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';

export const QEMU = 'qemu-system-arm';
export const UBOOT_BIN = '/usr/lib/u-boot/qemu_arm/u-boot.bin';
/** Where a load goes in QEMU's virt board (RAM starts at 0x40000000). */
export const LOAD_ADDRESS = 0x40200000;
/** Every wait is bounded: a broken peer fails the test instead of hanging it. */
export const WAIT_MS = 15_000;

/** Why the real-U-Boot tests cannot run here, with how to fix it; false when they can. */
export function realUBootMissing(): string | false {
  const qemu = spawnSync('sh', ['-c', `command -v ${QEMU}`]).status === 0;
  if (qemu && existsSync(UBOOT_BIN)) return false;
  return `needs a real U-Boot in QEMU (${qemu ? '' : `${QEMU}, `}${UBOOT_BIN}): apt-get install qemu-system-arm u-boot-qemu`;
}

export class UBootConsole {
  /** Everything U-Boot sent since the port was opened. */
  raw = Buffer.alloc(0);
  cursor = 0;
  private closed = false;
  private waiters = new Set<() => void>();

  private constructor(private readonly stream: SerialPortStream) {
    stream.on('data', (chunk: Buffer) => {
      this.raw = Buffer.concat([this.raw, chunk]);
      this.wake();
    });
    stream.on('close', () => {
      this.closed = true;
      this.wake();
    });
    stream.on('error', () => undefined);
  }

  static async open(path: string, binding: BindingInterface = autoDetect(), baudRate = 115200): Promise<UBootConsole> {
    const stream = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => stream.open((error) => (error ? reject(error) : resolve())));
    return new UBootConsole(stream);
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.stream.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), (error) => (error ? reject(error) : resolve())),
    );
  }

  setBaudRate(baudRate: number): Promise<void> {
    return new Promise((resolve, reject) => this.stream.update({ baudRate }, (error) => (error ? reject(error) : resolve())));
  }

  /** Text after the cursor. */
  get unread(): string {
    return this.raw.subarray(this.cursor).toString('latin1');
  }

  /** Waits for `pattern` after the cursor, moves past it, and returns what came before it and the match. */
  async expect(pattern: string | RegExp, timeoutMs = WAIT_MS): Promise<{ before: string; match: RegExpMatchArray }> {
    const regex = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
    let match: RegExpMatchArray | null = null;
    await this.until(() => (match = this.unread.match(regex)) !== null, timeoutMs, `${regex}`);
    const found = match as unknown as RegExpMatchArray;
    const before = this.unread.slice(0, found.index);
    this.cursor += Buffer.byteLength(before, 'latin1') + Buffer.byteLength(found[0], 'latin1');
    return { before, match: found };
  }

  /** The next `count` bytes, as they come. */
  async next(count: number, timeoutMs = WAIT_MS): Promise<Buffer> {
    await this.until(() => this.raw.length - this.cursor >= count, timeoutMs, `${count} more bytes`);
    const bytes = this.raw.subarray(this.cursor, this.cursor + count);
    this.cursor += count;
    return Buffer.from(bytes);
  }

  /** Whatever arrives within `ms` (for "nothing more comes" checks only). */
  async drain(ms: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const text = this.unread;
    this.cursor = this.raw.length;
    return text;
  }

  /** Hands every byte after the cursor, and each new one, to `sink` until stopped (another program takes the line). */
  relay(sink: (bytes: Buffer) => void): { stop(): void } {
    const forward = () => {
      if (this.raw.length > this.cursor) sink(Buffer.from(this.raw.subarray(this.cursor)));
      this.cursor = this.raw.length;
    };
    forward();
    this.waiters.add(forward);
    return { stop: () => this.waiters.delete(forward) };
  }

  /** Sends a unique `echo` and waits for its output and the prompt after it: the console is idle. */
  async sync(timeoutMs = WAIT_MS): Promise<void> {
    const token = `sync-${randomUUID().slice(0, 8)}`;
    await this.write(`echo ${token}\r`);
    await this.expect(`\r\n${token}\r\n=> `, timeoutMs);
  }

  /** Runs a command at the prompt and returns its output (the echo of the command left out). */
  async command(line: string, timeoutMs = WAIT_MS): Promise<string> {
    await this.write(`${line}\r`);
    await this.expect(`${line}\r\n`, timeoutMs);
    // The prompt starts a line and nothing follows it: crc32's own "==> " must not end the wait
    // when its answer arrives in two pieces.
    return (await this.expect(/(?<=^|\n)=> $/, timeoutMs)).before;
  }

  async close(): Promise<void> {
    if (this.closed || !this.stream.isOpen) return;
    await new Promise<void>((resolve) => this.stream.close(() => resolve()));
  }

  private until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) return finish();
        if (this.closed) finish(new Error(`the port closed while waiting for ${what}; got ${JSON.stringify(this.unread.slice(-300))}`));
      };
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.unread.slice(-300))}`)), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A real U-Boot under QEMU, stopped at its prompt; `stop()` kills QEMU and waits for it. */
export interface RealUBoot {
  /** The console's pseudo-terminal. */
  path: string;
  /** Opens the console (close it before another program opens the port: serialport locks it). */
  open(): Promise<UBootConsole>;
  stop(): Promise<void>;
}

export async function startRealUBoot(): Promise<RealUBoot> {
  const qemu = spawn(QEMU, ['-M', 'virt', '-m', '256', '-bios', UBOOT_BIN, '-nographic', '-nic', 'none', '-serial', 'pty', '-monitor', 'none'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
  const stop = async () => {
    if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    await exited;
  };
  try {
    const path = await ptyPathOf(qemu);
    const uboot: RealUBoot = { path, open: () => UBootConsole.open(path), stop };
    // A key stops the autoboot countdown; if it is over already, the boot attempts end at the prompt too.
    const console = await uboot.open();
    try {
      await console.write('\r');
      await console.expect('=> ', 60_000);
      await console.sync(60_000);
    } finally {
      await console.close();
    }
    return uboot;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** QEMU prints "char device redirected to /dev/pts/N (label serial0)" once the pty exists. */
function ptyPathOf(qemu: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`QEMU named no pty: ${text}`)), 30_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = /redirected to (\/dev\/pts\/\d+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    qemu.stdout!.on('data', onData);
    qemu.stderr!.on('data', onData);
    qemu.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`QEMU exited (${code}) before naming its pty: ${text}`));
    });
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
