/** `serial-flash info`: listening mode, then `i`, `v` and `s` (docs/protocol.md §2). */
import { TransferError } from '../../errors.js';
import { recognizeConsole, waitForText } from '../console.js';
import type { DeviceIdentity, DeviceSession } from '../profile.js';
import { askModules, describeDevice } from './device-modules.js';
import { APPLICATION_DRAIN_MAX_MS, APPLICATION_QUIET_MS, noAnswerError, switchToListeningRate } from './listening-mode.js';
import { drainUntilQuiet } from '../console.js';

/** `i` answers within a few hundred ms in listening mode; allow for a slow first answer (a Xenon took ~6 s). */
export const IDENTIFY_TIMEOUT_MS = 8_000;
const DEVICE_ID = /(?:Your (?:device|core) id is|Device ID:)\s*([0-9a-f]{24})\s/i;
/** Up to the line end: matching on a partial line would read `1.5.2` as `1`. */
const SYSTEM_VERSION = /system firmware version:\s*(\S+)\r?\n/i;
/** `v` exists since 0.4.4; older devices ignore it. */
const VERSION_TIMEOUT_MS = 2_000;

export async function identifyParticleDevice(session: DeviceSession): Promise<DeviceIdentity> {
  const signalled = await switchToListeningRate(session, 'listening mode');
  await drainUntilQuiet(session, APPLICATION_QUIET_MS, APPLICATION_DRAIN_MAX_MS);
  await session.write('i');
  const id = await waitForText(session, DEVICE_ID, IDENTIFY_TIMEOUT_MS);
  if (!id.match) {
    // A console echoes the letter (U-Boot, a shell): listening mode never does, so no MODE advice.
    const known = recognizeConsole(id.text);
    if (known || /^i\s*$/.test(id.text)) {
      const message = known
        ? `The device answered "i" as ${known.name}'s console does, not as a Spark or Particle device in listening mode (all serial-flash info can ask); to load it, flash with -t ${known.target}.`
        : 'The device echoed the "i" typed to it instead of giving its id: it is a console, not a Spark or Particle device in listening mode (all serial-flash info can ask).';
      throw new TransferError('NO_ANSWER', message, { phase: 'enter', deviceText: id.text });
    }
    throw noAnswerError('device', signalled ? undefined : session.connection.description);
  }
  await session.write('v');
  const version = await waitForText(session, SYSTEM_VERSION, VERSION_TIMEOUT_MS);
  const listed = await askModules(session);
  // Leave listening mode only where 28800 put it there: found there, it could not be put back.
  if (signalled) await session.write('x');
  return { deviceId: id.match[1]!.toLowerCase(), systemVersion: version.match?.[1], ...(listed ? describeDevice(listed) : {}) };
}
