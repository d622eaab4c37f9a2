/**
 * Where a Photon-class device puts a serial image: the OTA scratch area, then, after the
 * module checks (range/slot, platform, CRC-32), the module's own start address — as Device OS
 * does (docs/protocol.md §3–4). The checks are the project's own
 * `checkParticleImage`, so the virtual device refuses exactly what the sender would.
 */
import { formatAddress } from '../image/address.js';
import { bufferSource } from '../image/firmware-file.js';
import type { FileInfo } from '../protocol/blocks.js';
import { regionsOfKind, type Platform } from '../devices/platforms.js';
import { checkParticleImage } from '../devices/particle/module-checks.js';
import { parseModuleInfo, MODULE_INFO_HEAD_BYTES } from '../devices/particle/module-info.js';
import { refusalsFromDevice } from '../devices/particle/device-modules.js';
import type { FlashMemory } from './flash-memory.js';
import type { ParticleModules } from './particle-modules.js';
import type { ReceiverStore } from './ymodem-receiver.js';
import { sha256 } from './virtual-device.js';

/**
 * Device OS module validation flags (inference from Device OS `module_validation_flags_t`;
 * the device prints the failed ones as `Validation failed: <code>`).
 */
export const VALIDATION_FLAG = { integrity: 1 << 1, dependencies: 1 << 2, range: 1 << 3, platform: 1 << 4 } as const;

const FLAG_OF_FIELD: Record<string, number> = {
  crc: VALIDATION_FLAG.integrity,
  'file-size': VALIDATION_FLAG.integrity,
  platform: VALIDATION_FLAG.platform,
  slot: VALIDATION_FLAG.range,
  size: VALIDATION_FLAG.range,
  'module-info': VALIDATION_FLAG.range,
  dependencies: VALIDATION_FLAG.dependencies,
};

/** The validation flag a failed check clears. */
export function validationFlagOf(field: string): number {
  return FLAG_OF_FIELD[field] ?? VALIDATION_FLAG.range;
}

/** The misleading text Device OS prints for any refused header (docs/protocol.md §3). */
export const REFUSED_HEADER_TEXT = 'The file size is higher than the allowed space memory!';

export interface InstallResult {
  installedAt?: number;
  notInstalled?: string;
}

export class ParticleOta implements ReceiverStore {
  readonly start: number;
  readonly capacity: number;
  file: FileInfo | undefined;

  constructor(
    private readonly flash: FlashMemory,
    private readonly platform: Platform,
    private readonly policy: { updatesDisabled?: boolean; validate: boolean; modules?: ParticleModules },
  ) {
    const ota = regionsOfKind(platform, 'ota')[0];
    if (!ota) throw new RangeError(`${platform.name} has no OTA region in its memory map`);
    this.start = ota.start;
    this.capacity = ota.end - ota.start;
  }

  async beginFile(file: FileInfo): Promise<string | undefined> {
    this.file = undefined;
    if (this.policy.updatesDisabled) return 'firmware updates are disabled on this device';
    if (!(file.size > 0)) return 'the header gives no file size';
    if (file.size > this.capacity) return `${file.size} bytes do not fit the ${this.capacity}-byte OTA area`;
    const erased = await this.flash.erase(this.start, this.capacity);
    if (!erased.ok) return erased.reason;
    this.file = file;
    return undefined;
  }

  /** Device OS writes the whole packet, padding included; what falls past the OTA area is dropped. */
  async writeBlock(offset: number, data: Buffer): Promise<string | undefined> {
    if (offset >= this.capacity) return `block at offset ${offset} is past the end of the OTA area`;
    const fits = data.subarray(0, this.capacity - offset);
    const written = await this.flash.write(this.start + offset, fits);
    return written.ok ? undefined : written.reason;
  }

  async validate(): Promise<string | undefined> {
    if (!this.policy.validate) return undefined;
    const refusals = await this.check();
    if (refusals.length === 0) return undefined;
    const code = refusals.reduce((flags, r) => flags | validationFlagOf(r.field), 0);
    return String(code);
  }

  /** The received file as stored (its header's size, padding excluded). */
  image(): Buffer {
    return this.flash.read(this.start, this.file?.size ?? 0);
  }

  imageSha256(): string {
    return sha256(this.image());
  }

  /** What the bootloader/system does after the reset: check, then copy the module to its slot. */
  async install(): Promise<InstallResult> {
    const refusals = await this.check();
    if (refusals.length > 0) return { notInstalled: refusals[0]!.message };
    const image = this.image();
    const info = parseModuleInfo(image.subarray(0, MODULE_INFO_HEAD_BYTES))!;
    // The system may rewrite any slot, the bootloader included: privileged.
    const erased = await this.flash.erase(info.startAddress, image.length, { privileged: true });
    if (!erased.ok) return { notInstalled: erased.reason };
    const written = await this.flash.write(info.startAddress, image, { privileged: true });
    if (!written.ok) return { notInstalled: `installing at ${formatAddress(info.startAddress)} failed: ${written.reason}` };
    await this.policy.modules?.refresh();
    return { installedAt: info.startAddress };
  }

  /** The module checks, then the dependencies against the modules installed (as Device OS validates). */
  private async check() {
    const size = this.file?.size ?? 0;
    const name = this.file?.name ?? 'the image';
    const refusals = await checkParticleImage(bufferSource(this.image()), size, { platform: this.platform }, name);
    const info = parseModuleInfo(this.image().subarray(0, MODULE_INFO_HEAD_BYTES));
    if (refusals.length > 0 || !info || !this.policy.modules) return refusals;
    return refusalsFromDevice(info, this.policy.modules.modules(), name);
  }
}
