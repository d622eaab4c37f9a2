/**
 * What every target knows how to do, and how it is recognised. Orchestration (src/flash) and
 * the CLI call these hooks and read these fields, and never branch on a device name: each
 * family's knowledge lives in its own profile, listed once in the registry. `--target`
 * choices, `auto` detection, `list`, `info` and the help texts are derived from them.
 */
import type { SerialFlashError } from '../errors.js';
import type { FirmwareFile, ImageRefusal } from '../image/firmware-file.js';
import type { SenderOptions, SendResult } from '../protocol/file-sender.js';
import type { ProtocolName } from '../protocol/protocols.js';
import type { Connection, PortCapabilities, UsbIdentity } from '../transport/connection.js';
import type { ConsoleSession } from './console.js';
import type { Platform } from './platforms.js';

/** How much of an image's start `claimsImage` is shown (fewer bytes for shorter images). */
export const IMAGE_HEAD_BYTES = 1024;

/** What the user asked for, as far as the device profile cares. */
export interface TargetRequest {
  /** The flash (or load) address the user chose. */
  address?: number;
  /** A console command typed before YMODEM starts; `{address}`, `{size}`, `{name}` are filled in. */
  trigger?: string;
  /** The device family, as the port's USB identity or else the image's header says. */
  platform?: Platform;
  /** Whether the port itself (its USB identity) said which device is behind it. */
  portNamesDevice?: boolean;
  /** Send even what the checks refuse (those made with the device's own answers included). */
  force?: boolean;
  /** The file-transfer protocol the user chose (a console types the command that starts it). */
  protocol?: ProtocolName;
  /** False: do not ask the device what it received (--no-verify). */
  verify?: boolean;
  /** A faster line rate for the transfer alone, where the receiver can switch (U-Boot's `loady ADDR BAUD`). */
  transferBaud?: number;
}

/** What the device said it holds, compared with the image. */
export interface Verification {
  /** How it was asked, e.g. `crc32 40200000 493e1`. */
  command: string;
  /** The image's CRC-32 and the device's, as 8 hex digits (equal, or verify throws). */
  crc32: string;
}

export interface ImageCheck {
  refusals: ImageRefusal[];
  /** Where the bytes will end up, when the target decides it (shown in plans and results). */
  destination?: number;
  /** Why there, when it is not the image's own address ("where the Spark Core installs applications"). */
  destinationReason?: string;
  /** What the image is, for the plan ("Photon user part 1, version 6"). */
  description?: string;
}

/** The open port as a profile sees it. */
export interface DeviceSession extends ConsoleSession {
  connection: Connection;
  /** A step worth telling the user about ("setting 28800 baud to enter listening mode"). */
  onStep(message: string): void;
  /**
   * A refusal from the device's own answer that --force overrode: the user hears `message` even
   * with --quiet, and the result records the refusals beside those of the image checks.
   */
  onForced(refusals: ImageRefusal[], message: string): void;
  /** What onForced recorded. */
  readonly forced: readonly ImageRefusal[];
}

/** A connected device a profile recognised by its port's USB identity. */
export interface UsbMatch {
  /** How people call it: "Photon", "Spark Core". */
  name: string;
  /** 'dfu': in a mode without a serial port; it must be reset before it can be flashed. */
  mode: 'serial' | 'dfu';
  /** Its memory map, which every target's address checks use. */
  platform?: Platform;
}

/** Why an image is taken to be for a profile (`--target auto` with an unrecognised port). */
export interface ImageClaim {
  reason: string;
  platform?: Platform;
}

/** What `serial-flash info` reports. */
export interface DeviceIdentity {
  deviceId?: string;
  systemVersion?: string;
  /** The platform the device says it is ("Photon (platform 6)"), where it can be asked. */
  platform?: string;
  /** Its modules as it lists them ("system part 1 version 1502"), where it lists any. */
  modules?: string[];
}

export interface DeviceProfile {
  /** The `--target` name. */
  readonly name: string;
  /** Other names accepted wherever a profile is named (`--target`, `emulate --profile`). */
  readonly aliases?: readonly string[];
  /** One line for help texts and plans. */
  readonly summary: string;
  /** A command line for --help's examples (what follows `serial-flash`), and what it does. */
  readonly example?: readonly [args: string, description: string];
  /** What the devices it recognises are called as a group ("Spark or Particle device"), for help and messages. */
  readonly family?: string;
  /** The protocols its receiver takes, the first by default; every one when absent. */
  readonly protocols?: readonly ProtocolName[];
  /** What to check when the receiver has not asked for the file after a few seconds (said while waiting). */
  receiverWait?(request: TargetRequest): string;
  /** Whether its receiver can run at another rate than the console (`transferBaud`). */
  readonly switchesBaud?: boolean;
  /** Whether control lines must be asserted on open (Photon-class devices send nothing until DTR). */
  readonly assertDtr: boolean;
  /** Starts its receiver its own way even when `--trigger` is given (otherwise a trigger replaces the profile). */
  readonly ignoresTrigger?: boolean;
  /** One of this profile's devices, told by the port's USB identity. */
  recognise?(usb: UsbIdentity): UsbMatch | undefined;
  /** Claims an image by its first bytes (up to IMAGE_HEAD_BYTES), for `--target auto`. */
  claimsImage?(head: Buffer): ImageClaim | undefined;
  /** Asks the device who it is (`serial-flash info`), on a session opened with `assertDtr`. */
  identify?(session: DeviceSession): Promise<DeviceIdentity>;
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
  /**
   * Asks the device what it received and compares it with the image; throws a TransferError
   * when they differ. Absent where the device cannot be asked.
   */
  verify?(session: DeviceSession, request: TargetRequest, image: FirmwareFile, result: SendResult): Promise<Verification>;
  /**
   * Rewrites a failure in this device's terms (its texts, what to do next); it may read what the
   * device says next on the still open port (a console that prints its reason late).
   */
  explain(error: SerialFlashError, session: DeviceSession): SerialFlashError | Promise<SerialFlashError>;
  /** Leaves the port harmless before it is closed (e.g. back to 9600 baud). */
  release(session: DeviceSession): Promise<void>;
  /**
   * `--verify`: on the restarted device, confirms the image is installed and valid and says
   * what it found ("user part version 6"); throws TransferError VERIFY_FAILED when it is not.
   * Absent where the device cannot be asked what it runs.
   */
  verifyInstalled?(session: DeviceSession, image: FirmwareFile): Promise<string>;
  /** Why `--verify` is impossible through this kind of port, if it is (checked before the device is touched). */
  cannotVerify?(port: PortCapabilities): string | undefined;
}
