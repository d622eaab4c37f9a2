/**
 * The XMODEM framer (XMODEM and XMODEM-1K): no header and no size, the data blocks from 1
 * with the last one padded with SUB (0x1A), then EOT. Checksum or CRC-16 as the receiver
 * asked at the start (NAK or `C`). Boot ROMs and U-Boot's `loadx` take it.
 */
import type { BlockSize } from './blocks.js';
import type { BlockExchange } from './block-exchange.js';
import { sendFileBlocks } from './file-blocks.js';
import type { BlockSource, SendResult } from './sender-options.js';

export async function sendXmodemFile(exchange: BlockExchange, source: BlockSource, blockSize: BlockSize): Promise<SendResult> {
  const silent = await exchange.awaitReceiver();
  exchange.emit({ type: 'receiver-ready', checksum: exchange.checksum, silent });
  exchange.setPhase('data');
  await sendFileBlocks(exchange, source, blockSize);
  exchange.setPhase('eot');
  // The EOT's ACK ends the transfer: there is no closing block.
  const firstEotAcked = await exchange.sendEot();
  return exchange.result(source, blockSize, firstEotAcked);
}
