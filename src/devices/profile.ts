/**
 * What every target knows how to do. Orchestration (src/flash) calls these hooks in order
 * and never branches on a device name; each family's knowledge lives in its own profile.
 */
import type { SerialFlashError } from '../errors.js';
import type { FirmwareFile, ImageRefusal } from '../image/firmware-file.js';
import type { SenderOptions, SendResult } from '../protocol/ymodem-sender.js';
import type { Connection, PortCapabilities } from '../transport/connection.js';
import type { ConsoleSession } from './console.js';
import type { Platform } from './platforms.js';

export type TargetName = 'particle' | 'spark-core' | 'ymodem' | 'uboot';

/** What the user asked for, as far as the device profile cares. */
export interface TargetRequest {
  /** The flash (or load) address the user chose. */
  address?: number;
  /** A console command typed before YMODEM starts; `{address}`, `{size}`, `{name}` are filled in. */
  trigger?: string;
  /** The device family, when the port's USB identity told us. */
  platform?: Platform;
}

export interface ImageCheck {
  refusals: ImageRefusal[];
  /** Where the bytes will end up, when the target decides it (shown in plans and results). */
  destination?: number;
  /** What the image is, for the plan ("Photon user part 1, version 6"). */
  description?: string;
}

/** The open port as a profile sees it. */
export interface DeviceSession extends ConsoleSession {
  connection: Connection;
  /** A step worth telling the user about ("setting 28800 baud to enter listening mode"). */
  onStep(message: string): void;
}

export interface DeviceProfile {
  readonly name: TargetName;
  /** One line for help texts and plans. */
  readonly summary: string;
  /** Whether control lines must be asserted on open (Photon-class devices send nothing until DTR). */
  readonly assertDtr: boolean;
  /** Refusals for this image and address; run before the port is opened. */
  checkImage(image: FirmwareFile, request: TargetRequest): Promise<ImageCheck>;
  /** How the receiver will be started, for --dry-run and --verbose. */
  describeEntry(request: TargetRequest, port: PortCapabilities): string;
  /**
   * Brings the device to the point where a YMODEM receiver is waiting (or about to). May
   * return sender settings learned on the way (a receiver that turned out to be silent).
   */
  enterReceiver(session: DeviceSession, request: TargetRequest, image: FirmwareFile): Promise<SenderOptions | void>;
  /** Dialect and timing the sender needs for this device. */
  senderOptions(request: TargetRequest): SenderOptions;
  /** After the final ACK: reads the device's closing words; returns a summary line if any. */
  finish(session: DeviceSession, result: SendResult): Promise<string | undefined>;
  /** Rewrites a failure in this device's terms (its texts, what to do next). */
  explain(error: SerialFlashError): SerialFlashError;
  /** Leaves the port harmless before it is closed (e.g. back to 9600 baud). */
  release(session: DeviceSession): Promise<void>;
}
