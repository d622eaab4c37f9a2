/** XMODEM/YMODEM control bytes (Chuck Forsberg's YMODEM spec, 1988). */
export const SOH = 0x01; // 128-byte block follows
export const STX = 0x02; // 1024-byte block follows
export const EOT = 0x04; // end of file
export const ACK = 0x06;
export const NAK = 0x15;
export const CAN = 0x18; // two in a row cancel the session
export const CRC_REQUEST = 0x43; // 'C': receiver asks for CRC-16 mode
export const PAD = 0x1a; // CP/M EOF, pads the last data block

/** How a sender aborts: two CANs cancel, the rest cover one lost to line noise. */
export const CANCEL_SEQUENCE = Buffer.alloc(5, CAN);

const NAMES: Record<number, string> = {
  [SOH]: 'SOH',
  [STX]: 'STX',
  [EOT]: 'EOT',
  [ACK]: 'ACK',
  [NAK]: 'NAK',
  [CAN]: 'CAN',
};

/** A control byte's name for traces and messages (`ACK`, `NAK`, …), or undefined for other bytes. */
export function controlByteName(byte: number): string | undefined {
  return NAMES[byte];
}
