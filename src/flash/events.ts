/** What a flash reports while it runs. The library never prints; the CLI renders these. */
import type { Verification } from '../devices/profile.js';
import type { ImageRefusal } from '../image/firmware-file.js';
import type { RetryReason, SenderPhase } from '../protocol/file-sender.js';
import type { ProtocolName } from '../protocol/protocols.js';
import type { TraceDirection } from './trace.js';

export interface FlashPlan {
  port: string;
  /** Why this port (named by the user, or the only recognised device). */
  portReason: string;
  target: string;
  targetReason: string;
  device?: string;
  file: string;
  bytes: number;
  protocol: ProtocolName;
  blockSize: number;
  blocks: number;
  /** Where the bytes end up, when known. */
  address?: number;
  /** Why that address: given with --address, or the image's own (and whether a given one is set aside). */
  addressReason?: string;
  /** What the image is, when it could be read ("Photon user part, version 6, for 0x080A0000"). */
  image?: string;
  /** How the receiver will be started. */
  entry: string;
  baudRate?: number;
  /** What the checks refused and --force overrode (absent when nothing was). */
  forced?: ImageRefusal[];
}

export interface FlashResult {
  ok: true;
  port: string;
  target: string;
  address?: number;
  bytes: number;
  /** From opening the port to the device's verdict: entering the receiver and its closing words included. */
  seconds: number;
  /** The YMODEM transfer alone, from the first block to the last acknowledgement: what the line rate shows in. */
  transferSeconds: number;
  retries: number;
  /** The device's own summary line ("Downloaded file successfully!", "## Total Size = …"). */
  deviceSummary?: string;
  /**
   * What confirmed the image: U-Boot's crc32 of memory, on by default (`--no-verify` skips it),
   * or with `--verify` what the restarted device says it installed and the seconds that took.
   */
  verified?: Verification | { installed: string; seconds: number };
  /** What the checks, then the device's own answer, refused and --force sent anyway (absent when nothing was). */
  forced?: ImageRefusal[];
}

/**
 * What a flash reports, in this order:
 *
 *   plan                       once, after every check, before the port is opened (a dry run
 *                              ends here)
 *   warning                    when --force overrides refusals: before the port is opened (the
 *                              image's own checks), or once the device answered (its answer's)
 *   open                       once, the port is open
 *   step, device-text          any number, while the device is brought to its receiver (and
 *                              again after the transfer, e.g. --verify)
 *   start                      once, the sender begins
 *   phase                      as the session moves on: header → data → eot → end for YMODEM,
 *                              data → eot for XMODEM (waiting for the receiver is 'start',
 *                              the sender's state before any of these)
 *   progress                   after each acknowledged data block, bytes never decreasing
 *   retry, device-text         any number, between the phases and progress they belong to
 *   trace                      with --trace / --log only, every chunk either way, interleaved
 *                              with all of the above from `open` on
 *
 * The result (or the typed error) comes after the last event. A failure may stop the order
 * anywhere; nothing is emitted after it.
 */
export type FlashEvent =
  | { type: 'plan'; plan: FlashPlan }
  | { type: 'warning'; message: string }
  | { type: 'open'; port: string }
  | { type: 'step'; message: string }
  | { type: 'device-text'; text: string }
  | { type: 'start'; totalBytes: number }
  | { type: 'progress'; bytes: number; totalBytes: number; block: number }
  | { type: 'retry'; phase: SenderPhase; block: number; attempt: number; reason: RetryReason }
  | { type: 'phase'; phase: SenderPhase }
  | { type: 'trace'; direction: TraceDirection; data: Buffer; at: number };
