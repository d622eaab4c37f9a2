/**
 * A small YMODEM receiver for sender tests, scripted to misbehave on purpose: NAK or drop
 * the answer to chosen blocks, corrupt blocks in transit, cancel, ACK the first EOT, stay
 * silent. It checks CRCs like a standard receiver, so a sender bug shows up as a wrong file.
 */
import type { DeviceEnd, VirtualWire } from '../../src/emulator/virtual-binding.js';
import { decodeBlock, decodeHeaderPayload, framedLength, type Checksum } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK, SOH, STX } from '../../src/protocol/control-bytes.js';

export interface ReceiverScript {
  /** Text printed before the first request. */
  banner?: string;
  /** How the receiver asks to start: CRC (`C`), checksum (NAK), or not at all. */
  start?: 'C' | 'NAK' | 'silent';
  /** Data block numbers (1-based count of data blocks received, duplicates included) to NAK once. */
  nakBlocks?: number[];
  /** Data block counts whose ACK is lost once. */
  dropAckBlocks?: number[];
  /** Data block counts damaged in transit (one payload byte flipped before the CRC check). */
  corruptBlocks?: number[];
  /** After this many good data blocks, print `cancelText` and cancel. */
  cancelAfter?: number;
  cancelText?: string;
  /** 'standard': NAK the first EOT, ACK the second, then `C`. 'particle': ACK the first, no `C`. */
  eot?: 'standard' | 'particle';
  /** Particle dialect: NAK a duplicate instead of ACKing it. */
  nakDuplicates?: boolean;
}

export class ScriptedReceiver implements VirtualWire {
  readonly events: string[] = [];
  file: { name: string; size: number; data: Buffer } | undefined;
  finished = false;
  /** Bytes the host sent after the receiver finished or cancelled (e.g. the sender's CANs). */
  trailing: number[] = [];
  private host: DeviceEnd | undefined;
  private buffer = Buffer.alloc(0);
  private checksum: Checksum;
  private expected = 0; // next sequence number
  private dataCount = 0;
  private chunks: Buffer[] = [];
  private eots = 0;
  /** The file's EOT was acknowledged (only the closing block 0 is still to come). */
  get eotSeen(): boolean {
    return this.eots > 0 && this.chunks.length > 0 && this.events.includes('eot');
  }
  private cancelled = false;
  private startTimer: NodeJS.Timeout | undefined;
  private readonly once = new Set<string>();

  constructor(private readonly script: ReceiverScript = {}) {
    this.checksum = script.start === 'NAK' ? 'sum8' : 'crc16';
  }

  onHostOpen(port: DeviceEnd): void {
    this.host = port;
    setTimeout(() => {
      if (this.script.banner) this.send(Buffer.from(this.script.banner));
      this.askToStart();
    }, 5);
  }

  onHostClose(): void {
    clearTimeout(this.startTimer);
  }

  onHostData(data: Buffer): void {
    if (this.finished || this.cancelled) {
      this.trailing.push(...data);
      return;
    }
    this.buffer = Buffer.concat([this.buffer, data]);
    this.process();
  }

  private askToStart(): void {
    if (this.script.start === 'silent' || this.expected > 0 || this.cancelled) return;
    this.send(Buffer.of(this.script.start === 'NAK' ? NAK : CRC_REQUEST));
    this.startTimer = setTimeout(() => this.askToStart(), 200);
  }

  private process(): void {
    while (this.buffer.length > 0 && !this.finished && !this.cancelled) {
      const first = this.buffer[0]!;
      if (first === SOH || first === STX) {
        const length = framedLength(first === STX ? 1024 : 128, this.checksum);
        if (this.buffer.length < length) return;
        const frame = Buffer.from(this.buffer.subarray(0, length));
        this.buffer = this.buffer.subarray(length);
        this.onFrame(frame);
      } else {
        this.buffer = this.buffer.subarray(1);
        if (first === EOT) this.onEot();
        else if (first === CAN && this.buffer[0] === CAN) {
          this.events.push('host-cancel');
          this.cancelled = true;
          this.trailing.push(...this.buffer);
        }
      }
    }
  }

  private onFrame(frame: Buffer): void {
    const isData = this.expected > 0 && frame[1] !== 0;
    const count = isData ? ++this.dataCount : 0;
    if (isData && this.firstTime('corrupt', count, this.script.corruptBlocks)) frame[10] ^= 0xff;
    const block = decodeBlock(frame, this.checksum);
    if (!block) return this.answer(NAK, `bad-block ${count}`);
    clearTimeout(this.startTimer);
    if (this.expected === 0 || (this.eots > 0 && block.sequence === 0)) return this.onHeader(block.payload);
    if (block.sequence === ((this.expected - 1) & 0xff)) {
      return this.answer(this.script.nakDuplicates ? NAK : ACK, `duplicate ${block.sequence}`);
    }
    if (block.sequence !== (this.expected & 0xff)) return this.answer(NAK, `out-of-order ${block.sequence}`);
    if (this.firstTime('nak', count, this.script.nakBlocks)) return this.answer(NAK, `scripted-nak ${count}`);
    this.chunks.push(block.payload);
    this.expected++;
    if (this.script.cancelAfter !== undefined && this.chunks.length >= this.script.cancelAfter) {
      this.cancelled = true;
      this.send(Buffer.from([CAN, CAN, ...Buffer.from(`\r\n${this.script.cancelText ?? ''}\r\n`)]));
      return;
    }
    if (this.firstTime('drop', count, this.script.dropAckBlocks)) {
      this.events.push(`dropped-ack ${count}`);
      return;
    }
    this.answer(ACK, `block ${block.sequence}`);
  }

  private onHeader(payload: Buffer): void {
    const info = decodeHeaderPayload(payload);
    if (!info) {
      this.finished = true;
      const data = Buffer.concat(this.chunks).subarray(0, this.file?.size ?? 0);
      if (this.file) this.file.data = data;
      return this.answer(ACK, 'end-of-batch');
    }
    this.file = { name: info.name, size: info.size, data: Buffer.alloc(0) };
    this.expected = 1;
    this.answer(ACK, `header ${info.name} ${info.size}`);
    this.send(Buffer.of(CRC_REQUEST));
  }

  private onEot(): void {
    this.eots++;
    if (this.script.eot === 'particle') return this.answer(ACK, 'eot');
    if (this.eots === 1) return this.answer(NAK, 'eot-nak');
    this.answer(ACK, 'eot');
    this.send(Buffer.of(CRC_REQUEST));
  }

  private answer(byte: number, event: string): void {
    this.events.push(event);
    this.send(Buffer.of(byte));
  }

  private send(data: Buffer): void {
    this.host?.send(data);
  }

  private firstTime(kind: string, count: number, list: number[] | undefined): boolean {
    const key = `${kind}:${count}`;
    if (!list?.includes(count) || this.once.has(key)) return false;
    this.once.add(key);
    return true;
  }
}
