/**
 * Firmware images on disk, read whole into memory once, at open, and checked while they are
 * sent: the checks, the blocks and any verification all see one version of the file, and a
 * build writing it again mid-transfer fails the transfer (the receiver told to discard it)
 * instead of a success for a version the file no longer holds. Also the ByteSource
 * abstraction that lets the same checks run on files and on images held in memory (the
 * virtual device validates what it received with the same code).
 *
 * Read once rather than block by block: a read per block goes through libuv's threadpool,
 * which a loaded machine can hold up for a receiver's whole byte timeout, and it could not
 * promise the checks and the blocks saw the same bytes.
 */

import { statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError, TransferError } from '../errors.js';

/** Reads `length` bytes at `offset`; the result is shorter only when the image ends first. */
export type ByteSource = (offset: number, length: number) => Promise<Buffer>;

/** Why an image must not be sent to a target. An empty list of these means the image is fine. */
/** What an image check looks at; each has its error code, IMAGE_REFUSED_<FIELD> (src/errors.ts). */
export type RefusalField =
  | 'module-info'
  | 'platform'
  | 'address'
  | 'slot'
  | 'size'
  | 'file-size'
  | 'crc'
  | 'range'
  | 'alignment'
  | 'vector-table'
  | 'stack-pointer'
  | 'reset-handler'
  | 'exception-handler'
  | 'link-address'
  | 'dependencies';

export interface ImageRefusal {
  /** What was checked. */
  field: RefusalField;
  expected: string;
  actual: string;
  /** One sentence naming the field and both values, fit to show the user as is. */
  message: string;
}

/**
 * What a refusal found, without its advice: every message is "finding; what to do." and once
 * --force has overridden it, only the finding is worth repeating.
 */
export function refusalFinding(refusal: ImageRefusal): string {
  const advice = refusal.message.lastIndexOf('; ');
  return advice > 0 ? refusal.message.slice(0, advice) : refusal.message.replace(/\.$/, '');
}

/** What the user is told when --force sends an image that `refusedIt` ("the checks refused it"). */
export function forcedWarning(imageName: string, refusedIt: string, refusals: readonly ImageRefusal[]): string {
  return `sending ${imageName} although ${refusedIt} (--force): ${refusals.map(refusalFinding).join('; ')}.`;
}

export interface FirmwareFile {
  path: string;
  /** Base name, as sent in the YMODEM header and shown in messages. */
  name: string;
  size: number;
  /** Modification time in whole seconds since the epoch (the YMODEM header carries it). */
  mtimeSeconds: number;
  mode: number;
  /** Short read only at end of file. Always the version read at open, whatever the file holds now (a view of it: do not modify). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Throws FILE_CHANGED when the file on disk is no longer the version that was read. */
  confirmUnchanged(): void;
  close(): Promise<void>;
}

/**
 * The largest image read into memory: 64 MiB takes 97 minutes at 115200 baud and 12 at
 * 921600, far beyond any device the profiles know (a few MB of flash, U-Boot's RAM loads of a
 * kernel); a larger file is not one to send over a serial line, and memory stays bounded.
 */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export function bufferSource(buf: Buffer): ByteSource {
  return async (offset, length) => {
    checkReadRange(offset, length);
    return buf.subarray(Math.min(offset, buf.length), Math.min(offset + length, buf.length));
  };
}

/** Opens a firmware image and reads it whole; refuses missing, unreadable, special, empty and oversized files. */
export async function openFirmwareFile(path: string): Promise<FirmwareFile> {
  const name = basename(path);
  // stat before open: opening a FIFO would block, and a directory opens fine on Linux.
  const before = await stat(path).catch((error: unknown) => {
    throw fileError(error, path, name);
  });
  refuseUnusable(before, path, name);

  const handle = await open(path, 'r').catch((error: unknown) => {
    throw fileError(error, path, name);
  });
  try {
    // The handle's own stat is the authoritative one: the path could have been replaced meanwhile.
    const opened = await handle.stat();
    refuseUnusable(opened, path, name);
    const data = Buffer.alloc(opened.size);
    let filled = 0;
    // A single read may return fewer bytes than asked even before EOF; loop until full or EOF.
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // Checked after the read: a write that landed before or during it shows in the times.
    if (filled !== opened.size || !sameVersion(opened, await handle.stat())) throw fileChanged(path, name, 'read');
    return new MemoryFirmware(path, name, opened, data);
  } finally {
    await handle.close();
  }
}

class MemoryFirmware implements FirmwareFile {
  readonly size: number;
  readonly mtimeSeconds: number;
  readonly mode: number;
  private closed = false;

  constructor(
    readonly path: string,
    readonly name: string,
    private readonly version: Stats,
    private readonly data: Buffer,
  ) {
    this.size = data.length;
    this.mtimeSeconds = Math.floor(version.mtimeMs / 1000);
    this.mode = version.mode;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkReadRange(offset, length);
    if (this.closed) {
      // A caller bug, not a user mistake: no InputError.
      throw new Error(`read() after close() on ${this.path}`);
    }
    return this.data.subarray(Math.min(offset, this.size), Math.min(offset + length, this.size));
  }

  confirmUnchanged(): void {
    // Synchronous on purpose: one stat call, where the async form would wait for libuv's
    // threadpool between two blocks. The path, not the handle: a build may replace the file.
    let now: Stats | undefined;
    try {
      now = statSync(this.path);
    } catch {
      now = undefined; // removed: not the version that was read either
    }
    if (!now || !sameVersion(this.version, now)) {
      throw fileChanged(this.path, this.name, 'sent');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function fileChanged(path: string, name: string, doing: 'read' | 'sent'): TransferError {
  return new TransferError(
    'FILE_CHANGED',
    `${name} was written again while it was being ${doing} (is a build still running?); run this again once the file is complete.`,
    { path },
  );
}

/** The same file (not one put in its place) with the same contents, as far as its times tell. */
function sameVersion(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function checkReadRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`read(offset, length) needs non-negative integers, got (${offset}, ${length})`);
  }
}

function refuseUnusable(info: Stats, path: string, name: string): void {
  if (info.isDirectory()) {
    throw new InputError('FILE_IS_DIRECTORY', `${path} is a directory, not a firmware file; give the path of the .bin file.`, {
      path,
    });
  }
  if (!info.isFile()) {
    throw new InputError(
      'FILE_NOT_REGULAR',
      `${path} is not a regular file (a device, pipe or socket); give the path of a firmware .bin file.`,
      { path },
    );
  }
  if (info.size > MAX_IMAGE_BYTES) {
    throw new InputError(
      'FILE_TOO_LARGE',
      `${name} is ${info.size} bytes, more than the ${MAX_IMAGE_BYTES / 1024 / 1024} MiB serial-flash sends (over an hour and a half at 115200 baud); is it the firmware image?`,
      { path },
    );
  }
  if (info.size === 0) {
    throw new InputError('FILE_EMPTY', `${name} is empty (0 bytes) — did the build fail? Nothing was sent.`, {
      path,
    });
  }
}

function fileError(error: unknown, path: string, name: string): InputError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new InputError('FILE_NOT_FOUND', `Firmware file ${path} does not exist; check the path.`, { path });
    case 'EISDIR':
      return new InputError('FILE_IS_DIRECTORY', `${path} is a directory, not a firmware file; give the path of the .bin file.`, {
        path,
      });
    case 'EACCES':
    case 'EPERM':
      return new InputError(
        'FILE_UNREADABLE',
        `Permission denied reading ${name}; check the file's permissions (ls -l ${path}).`,
        { path },
      );
    default:
      return new InputError(
        'FILE_UNREADABLE',
        `${name} could not be read (${code ?? String(error)}); check that ${path} is a readable file.`,
        { path, systemCode: code },
      );
  }
}
