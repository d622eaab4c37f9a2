/**
 * What a Photon-class device knows of its own modules, as its `s` key lists them and as its
 * system checks a new module's dependencies: the bootloader and system parts it was made with
 * (their versions from the Device OS release it runs), and whatever module headers its flash
 * holds in each slot — so a user part installed over serial shows up, with its version,
 * dependencies and validity, after the restart.
 */
import { regionsOfKind, type FlashRegion, type Platform } from '../devices/platforms.js';
import { refusalsFromDevice, parseModuleList, type DeviceModules } from '../devices/particle/device-modules.js';
import { checkParticleImage } from '../devices/particle/module-checks.js';
import { CRC_TRAILER_BYTES, MODULE_FUNCTION, MODULE_INFO_HEAD_BYTES, parseModuleInfo, userPartSha256, type ModuleInfo } from '../devices/particle/module-info.js';
import { bufferSource } from '../image/firmware-file.js';
import type { FlashMemory } from './flash-memory.js';
import { moduleListLine, moduleVersionOf, type ListedModule } from './listening-console.js';
import { VALIDATION_FLAG, validationFlagOf } from './particle-ota.js';

const ALL_CHECKS = VALIDATION_FLAG.integrity | VALIDATION_FLAG.dependencies | VALIDATION_FLAG.range | VALIDATION_FLAG.platform;
const LETTER: Record<number, string> = {
  [MODULE_FUNCTION.bootloader]: 'b',
  [MODULE_FUNCTION.monolithic]: 'm',
  [MODULE_FUNCTION.systemPart]: 's',
  [MODULE_FUNCTION.userPart]: 'u',
};
/** The bootloader version shipped with the emulated releases (illustrative). */
const BOOTLOADER_VERSION = 101;

export class ParticleModules {
  #line: string;

  constructor(
    private readonly flash: FlashMemory,
    private readonly platform: Platform,
    private readonly systemVersion: string,
  ) {
    this.#line = moduleListLine(platform.id, this.slots().map((slot) => this.factoryModule(slot)));
  }

  /** The `s` line, as of the last refresh. */
  line(): string {
    return this.#line;
  }

  /** The modules as the device's system sees them when it checks a new module's dependencies. */
  modules(): DeviceModules {
    return parseModuleList(`${this.#line}\n`)!;
  }

  /** Reads the slots again: after a module was installed. */
  async refresh(): Promise<void> {
    const slots = this.slots();
    const factory = slots.map((slot) => this.factoryModule(slot));
    const asShipped = parseModuleList(`${moduleListLine(this.platform.id, factory)}\n`)!;
    const listed: ListedModule[] = [];
    for (const [i, slot] of slots.entries()) listed.push((await this.installedModule(slot, asShipped)) ?? factory[i]!);
    this.#line = moduleListLine(this.platform.id, listed);
  }

  private slots(): FlashRegion[] {
    return [...regionsOfKind(this.platform, 'bootloader'), ...regionsOfKind(this.platform, 'system-part'), ...regionsOfKind(this.platform, 'user-part')];
  }

  /** What the release put in a slot: the bootloader and system parts; no user part. */
  private factoryModule(slot: FlashRegion): ListedModule {
    const systemModuleVersion = moduleVersionOf(this.systemVersion);
    const slotBytes = slot.end - slot.start;
    if (slot.kind === 'bootloader') {
      return { slotBytes, checked: ALL_CHECKS, passed: ALL_CHECKS, module: { function: 'b', index: 0, version: BOOTLOADER_VERSION, dependencies: [] } };
    }
    if (slot.kind === 'system-part') {
      const index = slot.index ?? 1;
      const dependencies = index > 1 ? [{ function: 's', index: index - 1, version: systemModuleVersion }] : [];
      return { slotBytes, checked: ALL_CHECKS, passed: ALL_CHECKS, module: { function: 's', index, version: systemModuleVersion, dependencies } };
    }
    return { slotBytes, checked: 0, passed: 0 };
  }

  /** A module header written into the slot (over serial), checked as Device OS checks it. */
  private async installedModule(slot: FlashRegion, shipped: DeviceModules): Promise<ListedModule | undefined> {
    const head = this.flash.read(slot.start, MODULE_INFO_HEAD_BYTES);
    const info = parseModuleInfo(head);
    if (!info || info.startAddress !== slot.start) return undefined;
    const size = info.endAddress - info.startAddress + CRC_TRAILER_BYTES;
    if (size > slot.end - slot.start) return undefined;
    const image = this.flash.read(slot.start, size);
    let failed = 0;
    for (const refusal of await checkParticleImage(bufferSource(image), image.length, { platform: this.platform })) failed |= validationFlagOf(refusal.field);
    if (refusalsFromDevice(info, shipped, 'the module').length > 0) failed |= VALIDATION_FLAG.dependencies;
    // Device OS lists a user part's suffix SHA-256 as `u`: the bytes in flash, whatever they are.
    const sha256 = await userPartSha256(info, bufferSource(image), size);
    return { slotBytes: slot.end - slot.start, checked: ALL_CHECKS, passed: ALL_CHECKS & ~failed, ...(sha256 ? { sha256 } : {}), module: listedModule(info) };
  }
}

function listedModule(info: ModuleInfo): NonNullable<ListedModule['module']> {
  return {
    function: LETTER[info.moduleFunction] ?? '_',
    index: info.index,
    version: info.version,
    dependencies: info.dependencies.filter((d) => d.moduleFunction !== 0).map((d) => ({ function: LETTER[d.moduleFunction] ?? '_', index: d.index, version: d.version })),
  };
}
