/**
 * What every Spark and Particle profile shares: devices that listen over USB serial, say who
 * they are on `i` and `v`, end a transfer with their own closing words, and are left at a
 * harmless rate. Each profile spreads these and adds what is its own.
 */
import { platformByUsb, type Platform } from '../platforms.js';
import type { DeviceProfile, DeviceSession, UsbMatch } from '../profile.js';
import { identifyParticleDevice } from './identify.js';
import { explainParticleFailure, isUnansweredHeader, noAnswerError, readClosingText, restoreSafeRate } from './listening-mode.js';

type SharedHooks = Pick<DeviceProfile, 'family' | 'assertDtr' | 'recognise' | 'identify' | 'finish' | 'explain' | 'release'>;

/**
 * `device`: how messages call it ("device", "Spark Core"); `serves`: which of the family's
 * platforms this profile flashes, told by their USB ids.
 */
export function particleFamilyHooks(device: string, serves: (platform: Platform) => boolean): SharedHooks {
  return {
    family: 'Spark or Particle device',
    // Photon-class devices send nothing until DTR; the Core does not mind.
    assertDtr: true,
    recognise(usb): UsbMatch | undefined {
      const known = platformByUsb(usb);
      return known && serves(known.platform) ? { name: known.platform.name, mode: known.mode, platform: known.platform } : undefined;
    },
    identify: identifyParticleDevice,
    finish: (session: DeviceSession) => readClosingText(session),
    explain: (error) => (isUnansweredHeader(error) ? noAnswerError(device) : explainParticleFailure(error, device)),
    release: restoreSafeRate,
  };
}
