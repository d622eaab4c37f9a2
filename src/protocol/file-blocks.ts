/**
 * The file's data as numbered blocks, sent one after the other through the exchange core:
 * the body of every session (YMODEM after its header, XMODEM on its own).
 */
import { type BlockSize, encodeBlock } from './blocks.js';
import type { BlockExchange } from './block-exchange.js';
import type { BlockSource } from './sender-options.js';

/** A data block ready to write, and how much of the file it carries. */
interface Frame {
  frame: Buffer;
  payloadBytes: number;
}

/** Sends every byte of `source` as blocks 1, 2, … (numbered modulo 256 on the wire), each after the previous one was ACKed. */
export async function sendFileBlocks(exchange: BlockExchange, source: BlockSource, blockSize: BlockSize): Promise<void> {
  let offset = 0;
  let upcoming: Promise<Frame> | undefined = frameAt(exchange, source, 0, exchange.block + 1, blockSize);
  let reportPrevious: (() => void) | undefined;
  while (offset < source.size) {
    const { frame, payloadBytes }: Frame = await upcoming!;
    source.confirmUnchanged?.();
    exchange.block += 1; // a count for messages and events; the frame carries it modulo 256
    const nextOffset: number = offset + payloadBytes;
    // The next frame is read and built while the receiver handles this one, so its ACK is
    // answered by a single write of a ready frame.
    upcoming = nextOffset < source.size ? frameAt(exchange, source, nextOffset, exchange.block + 1, blockSize) : undefined;
    upcoming?.catch(() => undefined); // awaited next turn; must not count as unhandled meanwhile
    // Started before the previous block's progress is reported: listeners run off the critical path.
    exchange.sent = nextOffset;
    const sending = exchange.sendDataBlock(frame);
    reportPrevious?.();
    await sending;
    offset = nextOffset;
    exchange.acknowledged = offset;
    const block = exchange.block;
    reportPrevious = () => exchange.emit({ type: 'progress', block, bytesAcknowledged: nextOffset, totalBytes: source.size });
  }
  // The receiver holds every block but has not been told the file ended: the last moment to say discard it.
  source.confirmUnchanged?.();
  reportPrevious?.();
}

/** Reads and frames the data block at `offset`; a 1K transfer ends with a 128-byte block when that is enough, unless the receiver wants full blocks only. */
async function frameAt(exchange: BlockExchange, source: BlockSource, offset: number, sequence: number, blockSize: BlockSize): Promise<Frame> {
  const payload = await source.read(offset, blockSize);
  if (payload.length === 0) {
    throw exchange.error('FILE_SHRANK', `The file became shorter while it was being sent (${offset} of ${source.size} bytes read).`);
  }
  const short = blockSize === 1024 && payload.length <= 128 && !exchange.dialect.fullLastBlock;
  const size: BlockSize = short ? 128 : blockSize;
  return { frame: encodeBlock(sequence & 0xff, payload, size, exchange.checksum), payloadBytes: payload.length };
}
