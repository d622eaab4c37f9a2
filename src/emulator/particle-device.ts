/**
 * A Photon, P1 or Electron on USB serial, running its application, as each Device OS
 * generation behaves (docs/protocol.md §1–3):
 *
 * - '0.4.x': 28800 baud arms the receiver directly; it is silent until the first good packet.
 * - '0.5' (0.5.0–0.6.0): 28800 enters listening mode; the image is ACKed without validation.
 * - '0.6.1+': as 0.5, and the image is validated before the final ACK.
 * - '6.x': 28800 does nothing; `f` prints the prompt, four CANs and a refusal.
 *
 * Output is dropped until the host asserts DTR (queued, then flushed). 14400 baud sends the
 * device to DFU: the port goes away for good. The image goes to the OTA area and, once
 * accepted, is installed where its module header says.
 */
import { platformByKey, type Platform } from '../devices/platforms.js';
import { CAN } from '../protocol/control-bytes.js';
import { FlashMemory } from './flash-memory.js';
import { FLASH_PROMPT, deviceIdFromSeed, macFromDeviceId, type ConsoleIdentity } from './listening-console.js';
import { ParticleFamilyDevice, type FamilyDeviceOptions } from './particle-family.js';
import { ParticleModules } from './particle-modules.js';
import { ParticleOta } from './particle-ota.js';

export type ParticleFirmware = '0.4.x' | '0.5' | '0.6.1+' | '6.x';
export type ParticlePlatformKey = 'photon' | 'p1' | 'electron';

/** Device OS 6.x refuses `f` with four CAN bytes and this text (docs/protocol.md §2). */
export const NO_LONGER_SUPPORTED_TEXT = 'Serial/YModem flashing is no longer supported';

const DEFAULT_SYSTEM_VERSION: Record<ParticleFirmware, string> = {
  '0.4.x': '0.4.9',
  '0.5': '0.5.3',
  '0.6.1+': '1.5.2',
  '6.x': '6.1.1',
};

export interface ParticleDeviceOptions extends FamilyDeviceOptions {
  platform?: ParticlePlatformKey;
  firmwareVersion?: ParticleFirmware;
}

export class ParticleDevice extends ParticleFamilyDevice {
  readonly profile: string;
  readonly platform: Platform;
  readonly firmware: ParticleFirmware;
  readonly flash: FlashMemory;
  readonly identity: ConsoleIdentity;
  protected readonly store: ParticleOta;
  /** Its bootloader, system parts and user part, as `s` lists them. */
  readonly modules: ParticleModules;

  constructor(options: ParticleDeviceOptions = {}) {
    super(options);
    const key = options.platform ?? 'photon';
    this.profile = key;
    this.platform = platformByKey(key)!;
    this.firmware = options.firmwareVersion ?? '0.6.1+';
    this.dtrGated = true;
    this.flash = new FlashMemory({
      regions: this.platform.flash.filter((r) => r.memory === 'internal'),
      eraseMs: options.eraseMs,
      writeMs: options.writeMs,
    });
    const systemVersion = options.systemVersion ?? DEFAULT_SYSTEM_VERSION[this.firmware];
    this.modules = new ParticleModules(this.flash, this.platform, systemVersion);
    this.store = new ParticleOta(this.flash, this.platform, {
      updatesDisabled: options.updatesDisabled,
      validate: this.firmware === '0.6.1+',
      modules: this.modules,
    });
    const deviceId = options.deviceId ?? deviceIdFromSeed(options.seed ?? this.platform.id);
    this.identity = {
      noun: 'device',
      deviceId,
      mac: macFromDeviceId(deviceId),
      systemVersion,
      platformId: this.platform.id,
      moduleList: () => this.modules.line(),
    };
  }

  /** The OTA scratch area's address (where received bytes land). */
  get otaAddress(): number {
    return this.store.start;
  }

  protected onListenBaud(): void {
    if (this.firmware === '6.x') return;
    if (this.firmware === '0.4.x') {
      if (this.mode !== 'receiving' && this.mode !== 'updating') this.startReceiver('application');
    } else {
      this.enterListeningMode();
    }
  }

  protected override onFlashKey(): boolean {
    if (this.firmware !== '6.x') return super.onFlashKey();
    this.println(FLASH_PROMPT);
    this.send(Buffer.of(CAN, CAN, CAN, CAN));
    this.println(NO_LONGER_SUPPORTED_TEXT);
    return false;
  }

  protected get rawPacketStartsReceiver(): boolean {
    return this.firmware !== '0.4.x' && this.firmware !== '6.x';
  }

  protected get silentReceiver(): boolean {
    return this.firmware === '0.4.x';
  }

  protected get echoCancel(): boolean {
    return this.firmware === '0.6.1+';
  }

  protected get restartNotice(): boolean {
    return this.firmware !== '0.4.x';
  }
}
