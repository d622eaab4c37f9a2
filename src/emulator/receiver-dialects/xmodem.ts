/**
 * An XMODEM receiver, as in a boot ROM's serial loader or lrzsz `rx`: asks with NAK (or `C`)
 * until block 1 comes, checks every block like the standard YMODEM receiver, keeps the
 * padding (no size is sent), and ends the file on EOT, ACKed at once.
 */
import { decodeBlock } from '../../protocol/blocks.js';
import { CAN } from '../../protocol/control-bytes.js';
import type { ReceiverDialectStrategy } from './dialect.js';
import { receiveDataBlock, rejectBlock, strictDialect } from './strict.js';

/** What XMODEM receivers call the file they store: no name is sent. */
const UNNAMED = { name: '', size: Number.NaN };

export const xmodemDialect: ReceiverDialectStrategy = {
  ...strictDialect,

  onEot(rx) {
    // Before block 1 there is no file to end; a re-sent EOT after the end cannot reach here.
    if (rx.phase === 'header') return;
    rx.runAsync(async () => {
      await rx.options.store.endFile?.();
      if (!rx.finished) await rx.onEndOfBatch();
    });
  },

  async onFrame(rx, frame) {
    const block = decodeBlock(frame, rx.checksum);
    if (!block) return rejectBlock(rx, 'damaged', frame[1]);
    if (rx.phase === 'header') {
      if (block.sequence !== 1) return rejectBlock(rx, 'unexpected-sequence', block.sequence);
      const refusal = await rx.options.store.beginFile(UNNAMED);
      if (rx.finished) return;
      if (refusal) return rx.finish({ kind: 'refused', file: UNNAMED, reason: refusal }, [CAN, CAN]);
      rx.startFile(UNNAMED);
      rx.phase = 'data';
      rx.expected = 1;
    }
    return receiveDataBlock(rx, block.sequence, block.payload);
  },
};

