/**
 * Cortex-M vector table reading. A raw Cortex-M application image starts with its vector
 * table: word 0 is the initial stack pointer, word 1 the reset handler, words 2–15 the other
 * system exception handlers (0 where reserved or unused), then the interrupt handlers.
 * Handler addresses have bit 0 set (Thumb state), which is what makes them recognisable.
 */

/** Entries 0–15: the stack pointer and the system exceptions every Cortex-M has. */
export const SYSTEM_VECTOR_COUNT = 16;
export const VECTOR_BYTES = 4;

/** ARMv7-M architectural memory map: where code and SRAM can live on any Cortex-M. */
export const CODE_REGION = { start: 0x00000000, end: 0x20000000 } as const;
export const SRAM_REGION = { start: 0x20000000, end: 0x40000000 } as const;

export interface VectorTable {
  initialStackPointer: number;
  resetHandler: number;
  /** Entries 0 … n-1 as read (entry 0 is the stack pointer), n ≤ SYSTEM_VECTOR_COUNT. */
  entries: number[];
}

/** Reads the system part of the vector table; undefined when fewer than 8 bytes are given. */
export function readVectorTable(head: Buffer): VectorTable | undefined {
  if (head.length < 2 * VECTOR_BYTES) return undefined;
  const count = Math.min(SYSTEM_VECTOR_COUNT, Math.floor(head.length / VECTOR_BYTES));
  const entries: number[] = [];
  for (let i = 0; i < count; i++) entries.push(head.readUInt32LE(i * VECTOR_BYTES));
  return { initialStackPointer: entries[0]!, resetHandler: entries[1]!, entries };
}

/** A handler address: Thumb bit set and inside the code region. */
export function isThumbCodeAddress(value: number): boolean {
  return value % 2 === 1 && value >= CODE_REGION.start && value < CODE_REGION.end;
}

/** The address the handler's first instruction is at (Thumb bit cleared). */
export function handlerAddress(value: number): number {
  return value - (value % 2);
}

/**
 * True when the head plausibly is a Cortex-M vector table: a word-aligned stack pointer in the
 * SRAM region and a Thumb reset handler in the code region. Cheap and architecture-wide; device
 * checks then test the exact RAM and flash ranges.
 */
export function looksLikeVectorTable(head: Buffer): boolean {
  const table = readVectorTable(head);
  if (!table) return false;
  const sp = table.initialStackPointer;
  const stackPointerOk = sp % 4 === 0 && sp > SRAM_REGION.start && sp <= SRAM_REGION.end;
  return stackPointerOk && isThumbCodeAddress(table.resetHandler);
}
