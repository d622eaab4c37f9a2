/**
 * Checks for Spark Core application images. The Core validates nothing: a serial image goes
 * to external flash 0x60000 and the bootloader copies it over the application at 0x08005000
 * on reset, whatever it contains (docs/protocol.md §4). An image linked for
 * another address is installed anyway and the Core no longer boots, so the sender checks.
 */

import { formatAddress, formatRange } from '../../image/address.js';
import type { ByteSource, ImageRefusal } from '../../image/firmware-file.js';
import { bestLinkAddress, collectPointers, pointersInside, type LinkEvidence } from '../../image/link-address.js';
import {
  handlerAddress,
  readVectorTable,
  SYSTEM_VECTOR_COUNT,
  VECTOR_BYTES,
} from '../../image/vector-table.js';
import { platformByKey, regionsOfKind } from '../platforms.js';

const CORE = platformByKey('core')!;
const CORE_APPLICATION = regionsOfKind(CORE, 'application')[0]!;
const CORE_RAM = CORE.ram!;

export const CORE_APPLICATION_ADDRESS = CORE_APPLICATION.start;
/** 0x08005000–0x0801FFFF: 108 KB. */
export const CORE_APPLICATION_MAX_BYTES = CORE_APPLICATION.end - CORE_APPLICATION.start;
/** Where the Core's serial receiver stores the image before the bootloader installs it. */
export const CORE_SERIAL_STAGING_ADDRESS = 0x60000;
/** The STM32F103CB's 128 KB of internal flash: where an application's own addresses point. */
const CORE_INTERNAL_FLASH = { start: 0x08000000, end: 0x08020000 };
/** Applications read the bootloader's system flags here: an address outside the image, wherever it was linked. */
const CORE_SYSTEM_FLAGS = { start: 0x08004c00, end: 0x08005000 };
/**
 * How many more of the image's own addresses another base must explain before the image is
 * called linked there. A correct build has every one inside the image at 0x08005000; a word
 * of data that happens to look like a flash address is rare (about 1 in 32768), three distinct
 * ones that all fit another base are not a coincidence.
 */
const LINK_EVIDENCE_MARGIN = 3;

/**
 * Refusals for sending this image to a Spark Core (empty list = fine).
 *
 * The reset handler and the other system handlers must lie inside the image as placed at
 * 0x08005000: an application can only jump into itself. Limitation: an image linked slightly
 * too high whose handlers still fall inside its own span at 0x08005000 cannot be told from a
 * good one by the vector table alone.
 */
export async function checkCoreImage(
  source: ByteSource,
  size: number,
  address?: number,
  imageName = 'the image',
): Promise<ImageRefusal[]> {
  const refusals: ImageRefusal[] = [];
  if (address !== undefined && address !== CORE_APPLICATION_ADDRESS) {
    refusals.push({
      field: 'address',
      expected: formatAddress(CORE_APPLICATION_ADDRESS),
      actual: formatAddress(address),
      message: `The Spark Core installs serial images only at ${formatAddress(CORE_APPLICATION_ADDRESS)} (through external flash ${formatAddress(CORE_SERIAL_STAGING_ADDRESS)}), not ${formatAddress(address)}; use ${formatAddress(CORE_APPLICATION_ADDRESS)}.`,
    });
  }
  if (size > CORE_APPLICATION_MAX_BYTES) {
    refusals.push({
      field: 'size',
      expected: `<= ${CORE_APPLICATION_MAX_BYTES}`,
      actual: String(size),
      message: `${imageName} is ${size} bytes but the Spark Core application area holds at most ${CORE_APPLICATION_MAX_BYTES} bytes (${formatRange(CORE_APPLICATION.start, CORE_APPLICATION.end)}); make the application smaller.`,
    });
  }
  const head = await source(0, Math.min(size, SYSTEM_VECTOR_COUNT * VECTOR_BYTES));
  const evidence = await collectPointers(source, size, CORE_INTERNAL_FLASH, [CORE_SYSTEM_FLAGS]);
  const linked = bestLinkAddress(evidence, CORE_INTERNAL_FLASH);
  const linkRefusal = checkLinkAddress(evidence, linked, imageName);
  if (linkRefusal) refusals.push(linkRefusal);
  // An image linked elsewhere has its handlers elsewhere too: one refusal says it all.
  const vectorRefusals = checkVectors(head, size, imageName, linked?.address);
  refusals.push(...(linkRefusal ? vectorRefusals.filter((r) => !r.field.endsWith('handler')) : vectorRefusals));
  return refusals;
}

/** Refuses an image whose own addresses say it was linked somewhere other than 0x08005000. */
function checkLinkAddress(
  evidence: LinkEvidence,
  linked: { address: number; inside: number } | undefined,
  imageName: string,
): ImageRefusal | undefined {
  if (!linked || linked.address === CORE_APPLICATION_ADDRESS) return undefined;
  const atCore = pointersInside(evidence, CORE_APPLICATION_ADDRESS);
  if (linked.inside - atCore < LINK_EVIDENCE_MARGIN) return undefined;
  const total = evidence.pointers.length;
  return {
    field: 'link-address',
    expected: formatAddress(CORE_APPLICATION_ADDRESS),
    actual: formatAddress(linked.address),
    message:
      `${imageName} is linked for ${formatAddress(linked.address)} (${linked.inside} of the ${total} addresses it holds point into it there, ` +
      `${atCore} at ${formatAddress(CORE_APPLICATION_ADDRESS)}), but the Spark Core runs applications from ${formatAddress(CORE_APPLICATION_ADDRESS)}; ` +
      `rebuild it for ${formatAddress(CORE_APPLICATION_ADDRESS)} (the linker script's FLASH origin).`,
  };
}

function checkVectors(head: Buffer, size: number, imageName: string, linkedAt: number | undefined): ImageRefusal[] {
  const table = readVectorTable(head);
  if (!table) {
    return [
      {
        field: 'vector-table',
        expected: 'at least 8 bytes: stack pointer and reset handler',
        actual: `${size} bytes`,
        message: `${imageName} is only ${size} bytes, too short to hold a vector table; check that the build produced the application binary.`,
      },
    ];
  }
  const refusals: ImageRefusal[] = [];
  const sp = table.initialStackPointer;
  // The stack grows down from the initial value, so the top of RAM itself is valid and the bottom is not.
  if (sp % 4 !== 0 || sp <= CORE_RAM.start || sp > CORE_RAM.end) {
    refusals.push({
      field: 'stack-pointer',
      expected: `${formatAddress(CORE_RAM.start + 4)}–${formatAddress(CORE_RAM.end)}`,
      actual: formatAddress(sp),
      message: `${imageName} starts with stack pointer ${formatAddress(sp)}, outside the Spark Core's RAM (${formatRange(CORE_RAM.start, CORE_RAM.end)}); it is not a Core application binary.`,
    });
  }
  const spanEnd = Math.min(CORE_APPLICATION_ADDRESS + size, CORE_APPLICATION.end);
  const insideImage = (v: number) =>
    v % 2 === 1 && handlerAddress(v) >= CORE_APPLICATION_ADDRESS && handlerAddress(v) < spanEnd;
  // Zero marks a reserved or unused exception entry; the reset handler has no such excuse.
  const stray = table.entries.slice(1).find((v, i) => (i === 0 || v !== 0) && !insideImage(v));
  if (stray !== undefined) {
    refusals.push(strayHandlerRefusal(linkedAt, table.resetHandler, stray, spanEnd, imageName));
  }
  return refusals;
}

function strayHandlerRefusal(
  linked: number | undefined,
  resetHandler: number,
  stray: number,
  spanEnd: number,
  imageName: string,
): ImageRefusal {
  const expected = `${formatRange(CORE_APPLICATION_ADDRESS, spanEnd)}, Thumb (odd)`;
  const isReset = stray === resetHandler;
  const handler = isReset ? 'reset handler' : 'exception handler';
  const field = isReset ? 'reset-handler' : 'exception-handler';
  if (linked !== undefined && linked !== CORE_APPLICATION_ADDRESS) {
    return {
      field,
      expected,
      actual: formatAddress(stray),
      message: `${imageName} is linked for ${formatAddress(linked)} (${handler} ${formatAddress(stray)}), but the Spark Core runs applications from ${formatAddress(CORE_APPLICATION_ADDRESS)}; rebuild it for ${formatAddress(CORE_APPLICATION_ADDRESS)}.`,
    };
  }
  return {
    field,
    expected,
    actual: formatAddress(stray),
    message: `${imageName} has ${handler} ${formatAddress(stray)}, outside the image as installed at ${formatAddress(CORE_APPLICATION_ADDRESS)} (${formatRange(CORE_APPLICATION_ADDRESS, spanEnd)}); it is not a Core application built for ${formatAddress(CORE_APPLICATION_ADDRESS)}.`,
  };
}

/** A stack pointer inside the Core's 20 KB of RAM and a reset handler in internal flash: an image for the Core. */
export function looksLikeCoreApplication(head: Buffer): boolean {
  const table = readVectorTable(head);
  if (!table) return false;
  const { initialStackPointer: sp, resetHandler } = table;
  return sp > CORE_RAM.start && sp <= CORE_RAM.end && (resetHandler & 0xfff00000) === 0x08000000;
}
