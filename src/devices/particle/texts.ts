/**
 * What Particle and Spark devices print around a serial transfer, and what each means for
 * the user (docs/protocol.md §2–3).
 */
import type { TransferCode } from '../../errors.js';

export const LISTENING_PROMPT = /Waiting for the binary file to be sent[^\n]*\(press 'a' to abort\)\r\n/;
export const SUCCESS_TEXT = /Downloaded file successfully!/;
export const RESTARTING_TEXT = /Restarting system/;

interface KnownText {
  pattern: RegExp;
  code: TransferCode;
  explain: (match: RegExpMatchArray) => string;
}

/** Most specific first: the first match explains the failure. */
export const FAILURE_TEXTS: readonly KnownText[] = [
  {
    pattern: /no longer supported/i,
    code: 'SERIAL_UPDATES_REMOVED',
    explain: () =>
      'This device runs Device OS 6 or later, which no longer accepts firmware over serial ("Serial/YModem flashing is no longer supported"); flash it over USB DFU instead.',
  },
  {
    pattern: /Firmware update using this terminal is not supported/i,
    code: 'YMODEM_NOT_IN_APPLICATION',
    explain: () =>
      'The Spark Core\'s application does not include the serial flasher ("Firmware update using this terminal is not supported!"); add #include "Ymodem/Ymodem.h" to the application, or flash it over DFU.',
  },
  {
    pattern: /The file size is higher than the allowed space memory!/,
    code: 'UPDATES_DISABLED',
    explain: () =>
      'The device refused the file because firmware updates are disabled on it (it says "The file size is higher than the allowed space memory!", which is misleading); let the application enable updates (System.enableUpdates()) or use DFU.',
  },
  {
    pattern: /Validation failed: *(\S+)/,
    code: 'VALIDATION_FAILED',
    explain: (m) =>
      `The device received the image but rejected it ("Validation failed: ${m[1]}"): it checks the platform, the address range, the CRC and the modules it depends on — update the system firmware first or rebuild for this device; its previous firmware is still installed.`,
  },
  {
    pattern: /Verification failed!|Failed to save chunk!/,
    code: 'FLASH_WRITE_FAILED',
    explain: (m) => `The device could not write its flash ("${m[0]}"); try again, and if it keeps failing the flash may be worn out.`,
  },
  {
    pattern: /Aborted by user\./,
    code: 'ABORTED_ON_DEVICE',
    explain: () => 'The device says the transfer was aborted ("Aborted by user."); flash again.',
  },
  {
    pattern: /Failed to receive the file!/,
    code: 'DEVICE_GAVE_UP',
    explain: () =>
      'The device gave up on the transfer ("Failed to receive the file!") after too many errors or a cancel; check the cable (try another USB port) and flash again.',
  },
];

export function explainDeviceText(text: string): { code: TransferCode; message: string } | undefined {
  for (const known of FAILURE_TEXTS) {
    const match = text.match(known.pattern);
    if (match) return { code: known.code, message: known.explain(match) };
  }
  return undefined;
}
