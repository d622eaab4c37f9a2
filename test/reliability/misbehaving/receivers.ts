/**
 * Receivers that misbehave, each on the far end of a real pseudo-terminal pair (socat), so the
 * CLI under test opens a real tty through serialport's native binding:
 * - noise: random 1–20-byte bursts every 50–150 ms (a floating RX pin, a wrong baud rate);
 * - echo: every byte comes back (a terminal with echo on, or a half-duplex adapter), with a
 *   stray `C` first, and optionally a real lrzsz `rb` behind the echo;
 * - flood: `C` or NAK sent without a pause, from the start or after ACKing the header;
 * - stops reading: takes the header, then never reads again while it keeps saying ACK (a
 *   stuck receive path), so every buffer on the line fills and the sender's writes stall.
 * Every choice comes from a seed, so a failing run replays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { mulberry32 } from '../../../src/emulator/faults.js';
import { ACK, CRC_REQUEST, NAK, SOH, STX } from '../../../src/protocol/control-bytes.js';
import type { Connection } from '../../../src/transport/connection.js';
import { openSerial } from '../../../src/transport/serial.js';
import { startPtyPair, type PtyPair } from '../../transport/pty-pair.js';
import { tempDir } from '../../helpers/temp-dir.js';

export type Misbehaviour =
  | { kind: 'noise'; seed: number }
  | { kind: 'echo'; strayRequest?: boolean }
  | { kind: 'echo-in-front-of-rb' }
  | { kind: 'flood'; byte: typeof CRC_REQUEST | typeof NAK; after: 'start' | 'header' }
  /** `C` and ACK in turn without a pause, from the start: every answer a sender could want, none of them earned. */
  | { kind: 'answer-flood' }
  | { kind: 'stops-reading' };

export interface MisbehavingReceiver {
  /** The pty to give the CLI. */
  readonly path: string;
  /** Bytes the receiver got from the sender (not for stops-reading). */
  readonly received: () => number;
  /** ACKs the stops-reading receiver has said since it stopped reading. */
  readonly stuckAcks: () => number;
  /** With echo-in-front-of-rb: what rb wrote, once it exited (undefined if it wrote nothing). */
  readonly rbFile: () => Promise<{ exitCode: number | null; data: Buffer | undefined }>;
  stop(): Promise<void>;
}

/** A 128-byte header block with its CRC-16 frame. */
const HEADER_FRAME_BYTES = 133;
/**
 * How often the receiver whose reading is stuck says ACK anyway: far enough apart (over twice
 * the sender's 30 ms quiet test) that each ACK stands alone as an answer. At 20 ms a loaded
 * sender, a little late to write after each ACK, found ACKs arriving unasked and rightly
 * called the line noisy before its writes stalled, which is the flood tests' case, not this one.
 */
const STUCK_ACK_EVERY_MS = 100;
/** How often a receiver that waits for the header asks for it (`C`). */
const REQUEST_EVERY_MS = 500;
/** A flood writes this many bytes per turn of the event loop, with no pause between turns. */
const FLOOD_CHUNK = 64;

export async function startMisbehavingReceiver(behaviour: Misbehaviour): Promise<MisbehavingReceiver> {
  const pair = await startPtyPair();
  let received = 0;
  let stuckAcks = 0;
  const stops: (() => void | Promise<void>)[] = [];
  let rb: { child: ChildProcess; dir: string; exited: Promise<number | null> } | undefined;

  if (behaviour.kind === 'stops-reading') {
    // A plain descriptor that is never read: the pty's input queue, socat and the sender's
    // output queue fill up, and the sender's writes stop completing.
    // A plain descriptor: asks like a receiver, takes the header (ACK, C), then never reads
    // again, so the 1K blocks fill the pty's queue, socat's and the sender's.
    const fd = openSync(pair.b, 'r+');
    let headerBytes = 0;
    const asking = setInterval(() => headerBytes === 0 && writeSync(fd, Buffer.of(CRC_REQUEST)), REQUEST_EVERY_MS);
    let stopped = false;
    let acking: NodeJS.Timeout | undefined;
    const buffer = Buffer.alloc(4096);
    const readHeader = () =>
      read(fd, buffer, 0, buffer.length, null, (error, n) => {
        if (error || stopped) return;
        if (headerBytes > 0 || buffer[0] === SOH) headerBytes += n;
        if (headerBytes >= HEADER_FRAME_BYTES) {
          clearInterval(asking);
          writeSync(fd, Buffer.of(ACK, CRC_REQUEST));
          // Its receive path is stuck from now on, while it keeps saying ACK: the sender keeps
          // writing until every buffer on the way is full.
          acking = setInterval(() => {
            writeSync(fd, Buffer.of(ACK));
            stuckAcks++;
          }, STUCK_ACK_EVERY_MS);
          return; // and never reads again
        }
        readHeader();
      });
    readHeader();
    stops.push(() => {
      stopped = true;
      clearInterval(asking);
      clearInterval(acking);
      closeSync(fd);
    });
  } else {
    const port = await openSerial(pair.b, { baudRate: 115_200 });
    stops.push(() => port.close());
    const send = (data: Buffer) => {
      if (!port.stream.destroyed) port.stream.write(data);
    };
    port.stream.on('error', () => undefined);
    switch (behaviour.kind) {
      case 'noise': {
        const random = mulberry32(behaviour.seed);
        port.stream.on('data', (chunk: Buffer) => (received += chunk.length));
        let timer: NodeJS.Timeout;
        const burst = () => {
          send(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 256))));
          timer = setTimeout(burst, 50 + random() * 100);
        };
        burst();
        stops.push(() => clearTimeout(timer));
        break;
      }
      case 'echo': {
        // A stray `C` (until the sender's first bytes arrive: it may open its port late).
        const stray = behaviour.strayRequest !== false ? setInterval(() => send(Buffer.of(CRC_REQUEST)), REQUEST_EVERY_MS) : undefined;
        stops.push(() => clearInterval(stray));
        port.stream.on('data', (chunk: Buffer) => {
          clearInterval(stray);
          received += chunk.length;
          send(chunk);
        });
        break;
      }
      case 'echo-in-front-of-rb': {
        const dir = tempDir('rb-behind-echo');
        const child = spawn('rb', ['-q'], { cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.stdin!.on('error', () => undefined);
        rb = { child, dir, exited };
        port.stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          send(chunk); // the adapter echoes what it puts on the wire…
          child.stdin!.write(chunk); // …and the receiver behind it gets it too
        });
        child.stdout!.on('data', (chunk: Buffer) => send(chunk));
        stops.push(async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill();
          await exited;
        });
        break;
      }
      case 'flood':
        startFlood(port, Buffer.of(behaviour.byte), behaviour.after, (n) => (received += n), stops);
        break;
      case 'answer-flood':
        startFlood(port, Buffer.of(CRC_REQUEST, ACK), 'start', (n) => (received += n), stops);
        break;
    }
  }

  return {
    path: pair.a,
    received: () => received,
    stuckAcks: () => stuckAcks,
    rbFile: async () => {
      if (!rb) throw new Error('no rb behind this receiver');
      const exitCode = await rb.exited;
      const { readdirSync, readFileSync } = await import('node:fs');
      const files = readdirSync(rb.dir);
      return { exitCode, data: files.length === 1 ? readFileSync(`${rb.dir}/${files[0]}`) : undefined };
    },
    async stop() {
      for (const stop of stops.reverse()) await stop();
      await pair.stop();
    },
  };
}

/**
 * `byte` without a pause: from the start, or once the header block has come in (ACKed, like
 * a receiver that then goes wrong).
 */
function startFlood(port: Connection, pattern: Buffer, after: 'start' | 'header', onReceived: (n: number) => void, stops: (() => void)[]): void {
  let flooding = false;
  let stopped = false;
  const chunk = Buffer.alloc(FLOOD_CHUNK, pattern);
  const pump = () => {
    if (stopped || port.stream.destroyed) return;
    // Written only as fast as the line takes it, but never a 30 ms pause.
    if (port.stream.write(chunk)) setImmediate(pump);
    else port.stream.once('drain', pump);
  };
  const begin = () => {
    if (flooding) return;
    flooding = true;
    pump();
  };
  let headerBytes = 0;
  port.stream.on('data', (data: Buffer) => {
    onReceived(data.length);
    if (after !== 'header' || flooding) return;
    // The header is the first block: a C first, then its frame (SOH/STX, 128/1024 bytes + 5).
    if (headerBytes === 0 && data[0] !== SOH && data[0] !== STX) return;
    headerBytes += data.length;
    const frameBytes = data[0] === STX ? 1029 : 133;
    if (headerBytes >= frameBytes) {
      port.stream.write(Buffer.of(ACK));
      setTimeout(begin, 50);
    }
  });
  // Asks like a receiver until the header comes (the sender may open its port after the first request).
  const asking = after === 'header' ? setInterval(() => !flooding && port.stream.write(Buffer.of(CRC_REQUEST)), REQUEST_EVERY_MS) : undefined;
  if (after === 'start') begin();
  stops.push(() => {
    stopped = true;
    clearInterval(asking);
  });
}
