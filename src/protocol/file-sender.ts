/**
 * Sends one file over any duplex byte stream with the protocol asked for (YMODEM unless
 * told otherwise) and reports progress through typed events.
 *
 * The seam: a session framer (protocols.ts: YMODEM batch, XMODEM) decides which frames go
 * in which order; the block-exchange core (block-exchange.ts) sends each one, reads its
 * answer, retries, and cancels cleanly; the receiver's dialect (dialect.ts) says where it
 * departs from the standard. A new protocol is a new framer, not a flag threaded through
 * the core.
 */
import type { Duplex } from 'node:stream';
import { InputError } from '../errors.js';
import { BlockExchange } from './block-exchange.js';
import { DEFAULT_PROTOCOL, PROTOCOLS } from './protocols.js';
import type { BlockSource, SenderOptions, SendResult } from './sender-options.js';

export * from './sender-options.js';

/** Sends one file. Create one sender per transfer. */
export class FileSender {
  private readonly exchange: BlockExchange;

  constructor(stream: Duplex, private readonly options: SenderOptions = {}) {
    this.exchange = new BlockExchange(stream, options);
  }

  /** Everything the receiver printed that was not protocol, most recent last. */
  get deviceText(): string {
    return this.exchange.deviceText;
  }

  /**
   * Sends `source`. Resolves only after the receiver acknowledged the end of the transfer.
   * On failure or cancellation, sends CAN CAN at a block boundary and throws.
   */
  async send(source: BlockSource): Promise<SendResult> {
    this.exchange.totalBytes = source.size;
    if (source.size <= 0) {
      // An empty image "downloaded successfully" is how the seed thread's device lost its firmware.
      throw new InputError('FILE_EMPTY', `${source.name} is empty (0 bytes); nothing was sent — did the build fail?`);
    }
    const protocol = PROTOCOLS[this.options.protocol ?? DEFAULT_PROTOCOL];
    return this.exchange.run(() => protocol.send(this.exchange, source, this.options.blockSize ?? protocol.blockSize));
  }
}

/** The name this class had when YMODEM was the only protocol; library users may still use it. */
export { FileSender as YmodemSender };
