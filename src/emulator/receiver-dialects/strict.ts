/**
 * A standard YMODEM receiver like lrzsz `rb`:
 * checks every CRC (or checksum), NAKs damaged blocks, ACKs a re-sent copy of the previous
 * block, NAKs the first EOT and ACKs the second, then asks for the next header; truncates
 * files to the header's size.
 */
import { decodeBlock, decodeHeaderPayload } from '../../protocol/blocks.js';
import { ACK, CAN, NAK } from '../../protocol/control-bytes.js';
import { STRICT_BLOCK_TIMEOUT_MS, STRICT_INTRA_BLOCK_TIMEOUT_MS, STRICT_MAX_ERRORS, STRICT_REQUEST_INTERVAL_MS } from '../receiver-contract.js';
import type { ReceiverCore, ReceiverDialectStrategy } from './dialect.js';

export const strictDialect: ReceiverDialectStrategy = {
  defaults: (scale) => ({
    byteTimeoutMs: STRICT_BLOCK_TIMEOUT_MS * scale,
    requestIntervalMs: STRICT_REQUEST_INTERVAL_MS * scale,
    intraBlockTimeoutMs: STRICT_INTRA_BLOCK_TIMEOUT_MS * scale,
    maxErrors: STRICT_MAX_ERRORS,
  }),

  /** Asks for the first header at once. */
  start: (rx) => rx.send(rx.requestByte()),

  // Line noise between blocks is skipped.
  onStrayByte: () => undefined,
  onLoneCan: () => false,
  onSenderCancel: (rx) => rx.finish({ kind: 'sender-cancelled' }, []),

  onEot(rx) {
    if (rx.phase === 'header') {
      // lrzsz: an EOT while waiting for a header is a re-sent EOT whose ACK was lost.
      rx.send(ACK);
      return;
    }
    if (!rx.eotSeen) {
      rx.eotSeen = true;
      rx.send(NAK);
      return;
    }
    rx.eotSeen = false;
    rx.runAsync(async () => {
      await rx.options.store.endFile?.();
      if (rx.finished) return;
      rx.phase = 'header';
      rx.expected = 0;
      rx.send(Buffer.of(ACK, rx.requestByte()));
    });
  },

  async onFrame(rx, frame) {
    const block = decodeBlock(frame, rx.checksum);
    if (!block) return rejectBlock(rx, 'damaged', frame[1]);
    if (rx.phase !== 'header') return receiveDataBlock(rx, block.sequence, block.payload);
    if (block.sequence !== 0) return rejectBlock(rx, 'unexpected-sequence', block.sequence);
    rx.errors = 0;
    if (block.payload[0] === 0) return rx.onEndOfBatch();
    const file = decodeHeaderPayload(block.payload)!;
    const refusal = await rx.options.store.beginFile(file);
    if (rx.finished) return;
    if (refusal) return rx.finish({ kind: 'refused', file, reason: refusal }, [CAN, CAN]);
    rx.startFile(file);
    rx.phase = 'data';
    rx.expected = 1;
    rx.send(headerAnswer(rx));
  },

  onTimeout: (rx) => rejectBlock(rx, 'timeout'),

  timerMs: (rx, byteTimeoutMs, requestIntervalMs) => (rx.phase === 'header' ? requestIntervalMs : byteTimeoutMs),
};

/** A data block: stored once (a duplicate of the previous one is ACKed again), out of sequence ends the session. */
export async function receiveDataBlock(rx: ReceiverCore, sequence: number, payload: Buffer): Promise<void> {
  if (sequence === ((rx.expected - 1) & 0xff)) {
    // The sender missed our ACK and sent the block again: it is stored already.
    rx.errors = 0;
    rx.options.onEvent?.({ type: 'duplicate', sequence });
    rx.send(rx.expected === 1 ? headerAnswer(rx) : Buffer.of(ACK));
    return;
  }
  if (sequence !== (rx.expected & 0xff)) return rx.finish({ kind: 'out-of-sequence', sequence }, [CAN, CAN]);
  rx.errors = 0;
  const size = rx.file!.size;
  // Standard receivers drop the padding: the file ends where the header says.
  const keep = Number.isFinite(size) && size > 0 ? Math.max(0, Math.min(payload.length, size - rx.fileOffset)) : payload.length;
  if (!(await rx.storeBlock(sequence, payload, keep))) return;
  rx.expected++;
  rx.send(ACK);
}

/** NAK (or, while waiting for a header, the request) and count; too many in a row ends the session. */
export function rejectBlock(rx: ReceiverCore, why: 'damaged' | 'unexpected-sequence' | 'timeout', sequence?: number): void {
  rx.options.onEvent?.({ type: 'rejected', sequence, why });
  const idle = why === 'timeout' && rx.files.length === 0 && rx.options.asksUntilFirstHeader;
  if (!idle && ++rx.errors >= rx.maxErrors) return rx.finish({ kind: 'too-many-errors' }, [CAN, CAN]);
  // Silence while waiting for a header repeats the request; anything damaged gets NAK.
  rx.send(why === 'timeout' && rx.phase === 'header' ? rx.requestByte() : NAK);
}

/** The answer to a header (or to its copy): ACK, then the request for block 1. */
function headerAnswer(rx: ReceiverCore): Buffer {
  return Buffer.of(ACK, rx.requestByte());
}
