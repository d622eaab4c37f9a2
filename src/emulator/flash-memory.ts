/**
 * A model of a device's flash (or RAM): sparse, so a 1 MB map costs only what was written;
 * NOR semantics (a write can only clear bits, so a range must be erased first); protected
 * regions that refuse writes; and erase/write durations played out with timers, so a virtual
 * device answers as late as a real one. Tests read the contents back byte for byte.
 */

import { formatAddress, formatRange } from '../image/address.js';

/** 4 KB pages: small enough that a few-KB image allocates little, large enough to keep the map short. */
const PAGE_BYTES = 4096;
/** What erased NOR flash reads as. */
export const ERASED_BYTE = 0xff;

export interface MemoryRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface FlashMemoryRegion extends MemoryRange {
  name: string;
  /** Writes and erases are refused unless the caller is the device's own installer. */
  protected?: boolean;
}

export interface FlashMemoryOptions {
  /** The memory that exists; an access outside every region is refused. Omitted: all of 0–4 GB. */
  regions?: readonly FlashMemoryRegion[];
  /** Duration of one erase call, in ms (a sector erase on an STM32F2 takes hundreds of ms). */
  eraseMs?: number;
  /** Duration of one write call (one YMODEM block), in ms. */
  writeMs?: number;
  /** RAM: no erase needed before a write, and never protected. */
  ram?: boolean;
}

export type FlashResult = { ok: true } | { ok: false; reason: string };

export interface AccessOptions {
  /** The device's own installer (bootloader, system) may write protected regions. */
  privileged?: boolean;
}

const OK: FlashResult = { ok: true };

export class FlashMemory {
  private readonly pages = new Map<number, Buffer>();
  private written: MemoryRange[] = [];
  readonly regions: readonly FlashMemoryRegion[];
  private readonly eraseMs: number;
  private readonly writeMs: number;
  private readonly ram: boolean;

  constructor(options: FlashMemoryOptions = {}) {
    this.regions = options.regions ?? [];
    this.eraseMs = options.eraseMs ?? 0;
    this.writeMs = options.writeMs ?? 0;
    this.ram = options.ram ?? false;
  }

  /** Why an access to [start, start+length) is refused, or undefined when it is allowed. */
  checkAccess(start: number, length: number, options: AccessOptions = {}): string | undefined {
    const end = start + length;
    if (!Number.isSafeInteger(start) || start < 0 || length < 0 || end > 2 ** 32) {
      return `${length} bytes at ${start} do not fit the 32-bit address space`;
    }
    if (this.regions.length > 0 && !this.covered(start, end)) {
      return `${formatRange(start, end)} is not (entirely) inside the memory map`;
    }
    if (!this.ram && !options.privileged) {
      const hit = this.regions.find((r) => r.protected && start < r.end && end > r.start);
      if (hit) return `${formatRange(start, end)} touches the protected ${hit.name} (${formatRange(hit.start, hit.end)})`;
    }
    return undefined;
  }

  /** Erases [start, start+length) to 0xFF after `eraseMs`. */
  async erase(start: number, length: number, options: AccessOptions = {}): Promise<FlashResult> {
    const refusal = this.checkAccess(start, length, options);
    if (refusal) return { ok: false, reason: refusal };
    await pause(this.eraseMs);
    this.fill(start, start + length, ERASED_BYTE);
    this.written = subtractRange(this.written, { start, end: start + length });
    return OK;
  }

  /** Programs `data` at `address` after `writeMs`; refuses bits that would have to go from 0 to 1. */
  async write(address: number, data: Uint8Array, options: AccessOptions = {}): Promise<FlashResult> {
    const refusal = this.checkAccess(address, data.length, options);
    if (refusal) return { ok: false, reason: refusal };
    if (!this.ram) {
      const dirty = this.firstUnerased(address, data);
      if (dirty !== undefined) return { ok: false, reason: `${formatAddress(dirty)} is not erased; erase before writing` };
    }
    await pause(this.writeMs);
    for (let i = 0; i < data.length; ) {
      const at = address + i;
      const page = this.page(at, true)!;
      const offset = at % PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - offset, data.length - i);
      page.set(data.subarray(i, i + n), offset);
      i += n;
    }
    if (data.length > 0) this.written = addRange(this.written, { start: address, end: address + data.length });
    return OK;
  }

  /** The bytes at [address, address+length); never-written bytes read as 0xFF. */
  read(address: number, length: number): Buffer {
    const out = Buffer.alloc(length, ERASED_BYTE);
    for (let i = 0; i < length; ) {
      const at = address + i;
      const offset = at % PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - offset, length - i);
      this.page(at, false)?.copy(out, i, offset, offset + n);
      i += n;
    }
    return out;
  }

  /** Ranges written since they were last erased, merged and sorted. */
  writtenRanges(): MemoryRange[] {
    return this.written.map((r) => ({ ...r }));
  }

  private covered(start: number, end: number): boolean {
    let at = start;
    // Regions may be adjacent: walk them in order until the range is covered.
    for (const r of [...this.regions].sort((a, b) => a.start - b.start)) {
      if (r.start <= at && r.end > at) at = r.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  private firstUnerased(address: number, data: Uint8Array): number | undefined {
    for (let i = 0; i < data.length; i++) {
      const page = this.page(address + i, false);
      if (!page) {
        i += PAGE_BYTES - ((address + i) % PAGE_BYTES) - 1;
        continue;
      }
      const old = page[(address + i) % PAGE_BYTES]!;
      if ((old & data[i]!) !== data[i]) return address + i;
    }
    return undefined;
  }

  private fill(start: number, end: number, value: number): void {
    for (let at = start; at < end; ) {
      const offset = at % PAGE_BYTES;
      const n = Math.min(PAGE_BYTES - offset, end - at);
      const key = Math.floor(at / PAGE_BYTES);
      if (n === PAGE_BYTES) this.pages.delete(key);
      else this.pages.get(key)?.fill(value, offset, offset + n);
      at += n;
    }
  }

  private page(address: number, create: boolean): Buffer | undefined {
    const key = Math.floor(address / PAGE_BYTES);
    let page = this.pages.get(key);
    if (!page && create) {
      page = Buffer.alloc(PAGE_BYTES, ERASED_BYTE);
      this.pages.set(key, page);
    }
    return page;
  }
}

function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function addRange(ranges: MemoryRange[], add: MemoryRange): MemoryRange[] {
  const out: MemoryRange[] = [];
  let merged = { ...add };
  for (const r of ranges) {
    if (r.end < merged.start || r.start > merged.end) out.push(r);
    else merged = { start: Math.min(r.start, merged.start), end: Math.max(r.end, merged.end) };
  }
  out.push(merged);
  return out.sort((a, b) => a.start - b.start);
}

function subtractRange(ranges: MemoryRange[], cut: MemoryRange): MemoryRange[] {
  const out: MemoryRange[] = [];
  for (const r of ranges) {
    if (r.end <= cut.start || r.start >= cut.end) {
      out.push(r);
      continue;
    }
    if (r.start < cut.start) out.push({ start: r.start, end: cut.start });
    if (r.end > cut.end) out.push({ start: cut.end, end: r.end });
  }
  return out;
}
