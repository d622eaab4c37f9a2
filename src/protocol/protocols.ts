/**
 * The file-transfer protocols, one session framer each: the list the command line, the
 * library and the device profiles choose from. A new protocol is one framer file and one
 * entry here.
 */
import type { BlockSize } from './blocks.js';
import type { BlockExchange } from './block-exchange.js';
import type { BlockSource, SendResult } from './sender-options.js';
import { sendXmodemFile } from './xmodem-session.js';
import { sendYmodemBatch } from './ymodem-session.js';

export interface Protocol {
  /** As the user writes it in messages ("YMODEM"). */
  label: string;
  /** What a waiting receiver waits for, for messages ("a YMODEM upload"). */
  upload: string;
  /** Data block size when none is asked for. */
  blockSize: BlockSize;
  /** Sends one file, from the receiver's first request to its last acknowledgement. */
  send(exchange: BlockExchange, source: BlockSource, blockSize: BlockSize): Promise<SendResult>;
}

export const PROTOCOLS = {
  ymodem: { label: 'YMODEM', upload: 'a YMODEM upload', blockSize: 1024, send: sendYmodemBatch },
  xmodem: { label: 'XMODEM', upload: 'an XMODEM upload', blockSize: 128, send: sendXmodemFile },
  'xmodem-1k': { label: 'XMODEM-1K', upload: 'an XMODEM-1K upload', blockSize: 1024, send: sendXmodemFile },
} as const satisfies Record<string, Protocol>;

export type ProtocolName = keyof typeof PROTOCOLS;
export const PROTOCOL_NAMES = Object.keys(PROTOCOLS) as ProtocolName[];
export const DEFAULT_PROTOCOL: ProtocolName = 'ymodem';

export function isProtocolName(name: string): name is ProtocolName {
  return Object.hasOwn(PROTOCOLS, name);
}
