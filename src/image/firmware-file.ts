/**
 * Firmware images on disk, read block by block so memory never grows with image size (each
 * read checks that the file is still the version that was opened and checked, so a build
 * writing it again mid-transfer fails the transfer instead of sending a mix of two versions),
 * and the ByteSource abstraction that lets the same checks run on files and on images
 * held in memory (the virtual device validates what it received with the same code).
 */

import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Stats } from 'node:fs';
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

export interface FirmwareFile {
  path: string;
  /** Base name, as sent in the YMODEM header and shown in messages. */
  name: string;
  size: number;
  /** Modification time in whole seconds since the epoch (the YMODEM header carries it). */
  mtimeSeconds: number;
  mode: number;
  /** Short read only at end of file. */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function bufferSource(buf: Buffer): ByteSource {
  return async (offset, length) => {
    checkReadRange(offset, length);
    return buf.subarray(Math.min(offset, buf.length), Math.min(offset + length, buf.length));
  };
}

/** Opens a firmware image for reading; refuses missing, unreadable, special and empty files. */
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
    const info = await handle.stat();
    refuseUnusable(info, path, name);
    return new FileHandleFirmware(handle, path, name, info);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

class FileHandleFirmware implements FirmwareFile {
  readonly size: number;
  readonly mtimeSeconds: number;
  readonly mode: number;
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly name: string,
    private readonly opened: Stats,
  ) {
    const info = opened;
    this.size = info.size;
    this.mtimeSeconds = Math.floor(info.mtimeMs / 1000);
    this.mode = info.mode;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkReadRange(offset, length);
    if (this.closed) {
      // A caller bug, not a user mistake: no InputError.
      throw new Error(`read() after close() on ${this.path}`);
    }
    const buffer = Buffer.alloc(length);
    let filled = 0;
    // A single read may return fewer bytes than asked even before EOF; loop until full or EOF.
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // Checked after the read: a write that landed before or during it shows in the times.
    if (!sameVersion(this.opened, await this.handle.stat())) {
      throw new TransferError(
        'FILE_CHANGED',
        `${this.name} was written again while it was being sent (is a build still running?); run this again once the file is complete.`,
        { path: this.path },
      );
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

function sameVersion(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
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
