/**
 * A Spark Core on firmware 0.4.x (docs/protocol.md §1–4): 28800 baud arms a
 * receiver that stays silent until the first good packet; in listening mode `f` works only
 * when the application includes the Ymodem library. The image goes to external flash 0x60000
 * and is copied over the application at 0x08005000 on reset — with no validation at all, as on
 * the real Core. Not DTR-gated: the Core sends whether or not DTR is up.
 */
import { CORE_APPLICATION_ADDRESS, CORE_APPLICATION_MAX_BYTES, CORE_SERIAL_STAGING_ADDRESS } from '../devices/particle/spark-core-image.js';
import { platformByKey, type Platform } from '../devices/platforms.js';
import type { FileInfo } from '../protocol/blocks.js';
import { FlashMemory } from './flash-memory.js';
import { deviceIdFromSeed, macFromDeviceId, moduleListLine, type ConsoleIdentity } from './listening-console.js';
import { ParticleFamilyDevice, type FamilyDeviceOptions, type ImageStore } from './particle-family.js';
import type { InstallResult } from './particle-ota.js';
import { sha256 } from './virtual-device.js';

/** Printed by `f` when the application lacks the Ymodem library (Core firmware 0.4.x). */
export const NOT_SUPPORTED_LINES = [
  'Firmware update using this terminal is not supported!',
  'Add #include "Ymodem/Ymodem.h" to your sketch and try again.',
];

/** The external flash slot the serial receiver fills (0x60000–0x7FFFF). */
const STAGING_BYTES = 0x20000;

export interface SparkCoreOptions extends FamilyDeviceOptions {
  /** The application includes "Ymodem/Ymodem.h", so listening-mode `f` works (default true). */
  ymodemLibrary?: boolean;
}

/** External flash staging, then a blind copy to the application area. */
class CoreImageStore implements ImageStore {
  file: FileInfo | undefined;
  readonly start = CORE_SERIAL_STAGING_ADDRESS;

  constructor(
    private readonly external: FlashMemory,
    private readonly internal: FlashMemory,
    private readonly updatesDisabled: boolean,
  ) {}

  async beginFile(file: FileInfo): Promise<string | undefined> {
    this.file = undefined;
    if (this.updatesDisabled) return 'firmware updates are disabled on this device';
    if (!(file.size > 0)) return 'the header gives no file size';
    if (file.size > CORE_APPLICATION_MAX_BYTES) return `${file.size} bytes do not fit the ${CORE_APPLICATION_MAX_BYTES}-byte application area`;
    const erased = await this.external.erase(this.start, STAGING_BYTES);
    if (!erased.ok) return erased.reason;
    this.file = file;
    return undefined;
  }

  async writeBlock(offset: number, data: Buffer): Promise<string | undefined> {
    if (offset >= STAGING_BYTES) return `block at offset ${offset} is past the end of the staging area`;
    const written = await this.external.write(this.start + offset, data.subarray(0, STAGING_BYTES - offset));
    return written.ok ? undefined : written.reason;
  }

  image(): Buffer {
    return this.external.read(this.start, this.file?.size ?? 0);
  }

  imageSha256(): string {
    return sha256(this.image());
  }

  /** What the Core's bootloader does on reset: copy, check nothing. */
  async install(): Promise<InstallResult> {
    const image = this.image();
    const erased = await this.internal.erase(CORE_APPLICATION_ADDRESS, CORE_APPLICATION_MAX_BYTES);
    if (!erased.ok) return { notInstalled: erased.reason };
    const written = await this.internal.write(CORE_APPLICATION_ADDRESS, image);
    return written.ok ? { installedAt: CORE_APPLICATION_ADDRESS } : { notInstalled: written.reason };
  }
}

export class SparkCoreDevice extends ParticleFamilyDevice {
  readonly profile = 'spark-core';
  readonly platform: Platform = platformByKey('core')!;
  readonly identity: ConsoleIdentity;
  /** Internal flash: bootloader (write-protected) and application. */
  readonly flash: FlashMemory;
  /** The 2 MB SPI flash: keys, factory/backup images, the serial staging slot. */
  readonly externalFlash: FlashMemory;
  protected readonly store: CoreImageStore;
  private readonly ymodemLibrary: boolean;

  constructor(options: SparkCoreOptions = {}) {
    super(options);
    this.ymodemLibrary = options.ymodemLibrary ?? true;
    const regions = (memory: 'internal' | 'external') => this.platform.flash.filter((r) => r.memory === memory);
    this.flash = new FlashMemory({ regions: regions('internal'), eraseMs: options.eraseMs, writeMs: options.writeMs });
    this.externalFlash = new FlashMemory({ regions: regions('external'), eraseMs: options.eraseMs, writeMs: options.writeMs });
    this.store = new CoreImageStore(this.externalFlash, this.flash, options.updatesDisabled ?? false);
    const deviceId = options.deviceId ?? deviceIdFromSeed(options.seed ?? 0x5c0e);
    this.identity = {
      noun: 'core',
      deviceId,
      mac: macFromDeviceId(deviceId),
      systemVersion: options.systemVersion ?? '0.4.9',
      platformId: this.platform.id,
      // The Core's HAL lists no modules: `s` prints the platform alone.
      moduleList: () => moduleListLine(this.platform.id, []),
    };
  }

  protected onListenBaud(): void {
    // The line-coding handler installs the Ymodem handler itself, library or not.
    if (this.mode !== 'receiving' && this.mode !== 'updating') this.startReceiver('application');
  }

  protected override onFlashKey(): boolean {
    if (this.ymodemLibrary) return super.onFlashKey();
    NOT_SUPPORTED_LINES.forEach((line) => this.println(line));
    return false;
  }

  protected get rawPacketStartsReceiver(): boolean {
    return false;
  }

  protected get silentReceiver(): boolean {
    return true;
  }

  protected get echoCancel(): boolean {
    return false;
  }

  protected get restartNotice(): boolean {
    return false;
  }
}
