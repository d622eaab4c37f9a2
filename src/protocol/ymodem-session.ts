/**
 * The YMODEM batch framer: header block 0 (name and size), the data blocks, EOT, and the
 * empty block 0 that ends the batch, with the `C`s a standard receiver sends in between.
 */
import { type BlockSize, encodeEndOfBatchBlock, encodeHeaderBlock } from './blocks.js';
import type { BlockExchange, EndOfTransfer } from './block-exchange.js';
import { sendFileBlocks } from './file-blocks.js';
import type { BlockSource, SendResult } from './sender-options.js';

/** Copies of the closing block after the first when the receiver stays silent (see sendEndOfBatch). */
const CLOSING_BLOCK_SILENT_RETRIES = 1;

export async function sendYmodemBatch(exchange: BlockExchange, source: BlockSource, blockSize: BlockSize): Promise<SendResult> {
  const { timing, options } = exchange;
  const silent = await exchange.awaitReceiver();
  exchange.emit({ type: 'receiver-ready', checksum: exchange.checksum, silent });
  exchange.setPhase('header');
  const header = encodeHeaderBlock(source, exchange.checksum);
  const headerCopies = await exchange.sendBlock(header, timing.headerAckTimeoutMs, { silentRetries: options.headerRetries });
  // Block 1 goes at once to a receiver that sends no `C` here (U-Boot): waiting would stall.
  if (exchange.dialect.requestsAfterHeader) await exchange.awaitExpectedC(timing.responseTimeoutMs);
  // Each other copy of the header is answered too (ACK and `C` from rb, NAK from Device OS), and
  // a request may have crossed it: none of that is block 1's answer. A copy of the header goes
  // after a wait that ran out (receivers erase flash before they answer), so its answer is owed.
  if (headerCopies > 1) await exchange.takeOtherAnswers(2 * (headerCopies - 1), header.length, timing.responseTimeoutMs);
  exchange.setPhase('data');
  await sendFileBlocks(exchange, source, blockSize);
  exchange.setPhase('eot');
  const firstEotAcked = await exchange.sendEot();
  exchange.setPhase('end');
  if (exchange.dialect.requestsAfterEot) await exchange.awaitExpectedC(timing.eotGraceMs);
  exchange.block = 0;
  await sendEndOfBatch(exchange);
  return exchange.result(source, blockSize, firstEotAcked);
}

/**
 * The closing empty block 0: success needs its ACK. The one exception is a receiver that
 * said in its own words that it has the file (a Particle device resets right after saying
 * so, U-Boot prints the size it received), whose ACK may be lost as it goes. A receiver
 * that stays silent is given one more copy only: lrzsz `rb` exits after its last ACK, and
 * more copies would be typed into whatever runs after it.
 */
async function sendEndOfBatch(exchange: BlockExchange): Promise<void> {
  const end: EndOfTransfer = { confirmed: () => exchange.receiverConfirmed() };
  try {
    await exchange.sendBlock(encodeEndOfBatchBlock(exchange.checksum), exchange.timing.finalAckTimeoutMs, { silentRetries: CLOSING_BLOCK_SILENT_RETRIES, end });
  } catch (error) {
    if (!end.confirmed()) throw error;
  }
}
