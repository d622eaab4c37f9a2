/**
 * The Spark/Particle Device OS receiver (adapted from ST AN2557; docs/protocol.md): never
 * checks the CRC, NAKs any unexpected sequence number including a duplicate, ACKs the first
 * EOT with no `C` after it, answers a timeout with `C`, and gives up on the 6th consecutive
 * error.
 */
import { BLOCK_HEADER_BYTES, decodeHeaderPayload } from '../../protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, NAK, STX } from '../../protocol/control-bytes.js';
import { PARTICLE_BYTE_TIMEOUT_MS, PARTICLE_MAX_ERRORS } from '../receiver-contract.js';
import type { ReceiverCore, ReceiverDialectStrategy } from './dialect.js';

/** User abort keys of the Particle receiver ('A' and 'a', AN2557's ABORT1/ABORT2). */
const ABORT_KEYS = new Set([0x41, 0x61]);
/** Device OS ACKs a space and otherwise ignores it. */
const SPACE = 0x20;

export const particleDialect: ReceiverDialectStrategy = {
  defaults: (scale) => ({
    byteTimeoutMs: PARTICLE_BYTE_TIMEOUT_MS * scale,
    requestIntervalMs: PARTICLE_BYTE_TIMEOUT_MS * scale,
    maxErrors: PARTICLE_MAX_ERRORS,
    checksum: 'crc16',
  }),

  /** Device OS sends nothing at first: its first `C` comes after one byte timeout. */
  start: () => undefined,

  onStrayByte(rx, byte) {
    if (ABORT_KEYS.has(byte)) return rx.finish({ kind: 'user-abort' }, [CAN, CAN]);
    if (byte === SPACE) return rx.send(ACK);
    // AN2557 treats any other byte where a packet should start as an error, like a timeout.
    onError(rx, 'noise');
  },

  onLoneCan(rx) {
    onError(rx, 'noise');
    return true;
  },

  onSenderCancel: (rx) => rx.finish({ kind: 'sender-cancelled' }, rx.options.echoCancel ? [ACK, CAN, CAN] : [ACK]),

  onEot(rx) {
    // Device OS ACKs the first EOT and expects packet 0 next, with no `C`.
    rx.send(ACK);
    rx.phase = 'header';
    rx.expected = 0;
  },

  async onFrame(rx, frame) {
    // Only `seq == ~seqcomp` is checked: the 2 CRC bytes are read and ignored.
    if ((frame[1]! ^ frame[2]!) !== 0xff) return onError(rx, 'damaged');
    const sequence = frame[1]!;
    const payload = frame.subarray(BLOCK_HEADER_BYTES, BLOCK_HEADER_BYTES + (frame[0] === STX ? 1024 : 128));
    rx.errors = 0;
    if (sequence !== (rx.expected & 0xff)) {
      rx.options.onEvent?.({ type: 'rejected', sequence, why: 'unexpected-sequence' });
      rx.send(NAK);
      return;
    }
    if (rx.expected === 0) {
      if (payload[0] === 0) return rx.onEndOfBatch();
      const file = decodeHeaderPayload(payload)!;
      const refusal = !(file.size > 0) ? 'the header gives no size' : await rx.options.store.beginFile(file);
      if (rx.finished) return;
      if (refusal) return rx.finish({ kind: 'refused', file, reason: refusal }, [CAN, CAN]);
      rx.startFile(file);
      rx.send(Buffer.of(ACK, CRC_REQUEST));
    } else {
      if (!(await rx.storeBlock(sequence, payload))) return;
      rx.send(ACK);
    }
    rx.expected++;
    rx.sessionBegun = true;
  },

  onTimeout: (rx) => onError(rx, 'timeout'),

  timerMs: (_rx, byteTimeoutMs) => byteTimeoutMs,
};

/** A timeout, a damaged frame or a stray byte. Counted once the session has begun. */
function onError(rx: ReceiverCore, why: 'damaged' | 'timeout' | 'noise'): void {
  rx.options.onEvent?.({ type: 'rejected', why });
  if (rx.sessionBegun) rx.errors++;
  if (rx.sessionBegun || !rx.options.silentUntilFirstPacket) rx.send(CRC_REQUEST);
  if (rx.errors > rx.maxErrors) rx.finish({ kind: 'too-many-errors' }, [CAN, CAN]);
}
