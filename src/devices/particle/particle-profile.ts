/**
 * Particle devices on Device OS 0.5–5.x over USB serial (Photon, P1, Electron and later):
 * listening mode, `f`, then YMODEM in the Particle dialect. The device installs the image
 * where its module header says, so `--address` is checked against the header, not sent.
 */
import { formatAddress } from '../../image/address.js';
import type { FirmwareFile } from '../../image/firmware-file.js';
import type { SenderOptions } from '../../protocol/file-sender.js';
import { protectedRegionRefusals } from '../address-check.js';
import { platformById } from '../platforms.js';
import type { DeviceProfile, DeviceSession, ImageCheck, TargetRequest } from '../profile.js';
import { particleFamilyHooks } from './family.js';
import {
  confirmsDownload,
  FIRST_ANSWER_TIMEOUT_MS,
  noAnswerError,
  startReceiverFromConsole,
  switchToListeningRate,
} from './listening-mode.js';
import { checkImageWithDevice, verifyModuleInstalled } from './device-modules.js';
import { InputError, TransferError } from '../../errors.js';
import { CANCEL_SEQUENCE } from '../../protocol/control-bytes.js';
import { checkParticleImage } from './module-checks.js';
import { describeModule, MODULE_INFO_HEAD_BYTES, parseModuleInfo, userPartSha256 } from './module-info.js';

/** Device OS 0.5–1.0 may wait up to 30 s for the application to allow the update, and erasing takes seconds. */
export const HEADER_ACK_TIMEOUT_MS = 35_000;
/** 0.6.1+ validates the whole image (CRC, dependencies) before the final ACK. */
export const FINAL_ACK_TIMEOUT_MS = 30_000;
/** Probing a receiver that stayed silent after `f` (0.4.x arms it at 28800 and waits for a packet). */
export const SILENT_HEADER_ACK_TIMEOUT_MS = 5_000;

const PARTICLE_DIALECT: SenderOptions = {
  // The receiver sends its first C only after a 5 s byte timeout: after the prompt, go at once.
  // No C follows the (first, ACKed) EOT.
  dialect: { nakOnDuplicate: true, naksFirstEot: false, silentStart: true, requestsAfterEot: false, confirmsCompletion: confirmsDownload },
  startTimeoutMs: 0,
  headerAckTimeoutMs: HEADER_ACK_TIMEOUT_MS,
  // A device that answers nothing for 3 × 35 s is not coming back; without this a frozen
  // device was waited on for 11 × 35 s. Once it has answered anything, the usual retries apply.
  headerRetries: 2,
  finalAckTimeoutMs: FINAL_ACK_TIMEOUT_MS,
};

function unconfirmedPlatformError(platformId: number, imageName: string, port: string): InputError {
  const platform = platformById(platformId)?.name ?? `platform ${platformId}`;
  return new InputError(
    'IMAGE_REFUSED_PLATFORM',
    `The device on ${port} did not say what it is (no module list, no prompt) and waits silently as a Spark Core does, so ${imageName} for the ${platform} was not sent; connect it over USB, where the port names the device, or add --force if you know it is a ${platform} on Device OS 0.4.x.`,
  );
}

export const particleProfile: DeviceProfile = {
  name: 'particle',
  summary: 'Particle Photon, P1, Electron, Argon, Boron, Xenon on Device OS 0.5–5.x (listening mode over USB serial)',
  ...particleFamilyHooks('device', (platform) => platform.key !== 'core'),
  // The receiver learns the image's size from the YMODEM header.
  protocols: ['ymodem'],

  claimsImage(head) {
    const info = parseModuleInfo(head);
    // The header's platform names the device where the port cannot (a TCP bridge, a pty).
    return info && { reason: `the image has a Particle module header (platform ${info.platformId})`, platform: platformById(info.platformId) };
  },

  async checkImage(image: FirmwareFile, request: TargetRequest): Promise<ImageCheck> {
    const info = parseModuleInfo(await image.read(0, MODULE_INFO_HEAD_BYTES));
    const platform = request.platform ?? (info ? platformById(info.platformId) : undefined);
    // The bootloader/keys refusal first: it is the one that must not be overlooked.
    const refusals = protectedRegionRefusals(platform, request.address ?? info?.startAddress, image.size);
    refusals.push(...(await checkParticleImage(image.read.bind(image), image.size, request, image.name)));
    return {
      refusals,
      destination: info?.startAddress,
      description: info
        ? `${platform?.name ?? `platform ${info.platformId}`} ${describeModule(info.moduleFunction, info.index)}, version ${info.version}, for ${formatAddress(info.startAddress)}`
        : undefined,
    };
  },

  describeEntry(_request: TargetRequest, port): string {
    const rate = port.lineRate ? 'set 9600 then 28800 baud (listening mode), ' : 'the device must already be in listening mode (blinking blue); ';
    return `${rate}send 'f' and wait for "Waiting for the binary file to be sent ..."`;
  },

  async enterReceiver(session: DeviceSession, request: TargetRequest, image: FirmwareFile): Promise<SenderOptions | void> {
    const signalled = await switchToListeningRate(session, 'listening mode');
    const info = parseModuleInfo(await image.read(0, MODULE_INFO_HEAD_BYTES));
    const device = info ? await checkImageWithDevice(session, info, image.name, { force: request.force, signalled }) : undefined;
    const answer = await startReceiverFromConsole(session, FIRST_ANSWER_TIMEOUT_MS);
    if (answer !== 'silent') return;
    if (!signalled) throw noAnswerError('device', session.connection.description);
    // A Spark Core on 0.4.x is just as silent, and would copy this image over its application:
    // go on only where the port or the device said what it is (docs/protocol.md §1, §4).
    if (info && !device && !request.portNamesDevice && !request.force) {
      await session.write(CANCEL_SEQUENCE); // ends the armed receiver before any packet
      throw unconfirmedPlatformError(info.platformId, image.name, session.connection.description);
    }
    // Device OS 0.4.x: 28800 armed a receiver that waits silently for the first packet.
    session.onStep('no prompt: trying a receiver that waits silently for the first packet (Device OS 0.4.x)');
    return { headerAckTimeoutMs: SILENT_HEADER_ACK_TIMEOUT_MS, headerRetries: 0 };
  },

  senderOptions(): SenderOptions {
    return PARTICLE_DIALECT;
  },

  async verifyInstalled(session: DeviceSession, image: FirmwareFile): Promise<string> {
    const info = parseModuleInfo(await image.read(0, MODULE_INFO_HEAD_BYTES));
    if (!info) throw new TransferError('VERIFY_FAILED', `${image.name} has no module header, so there is nothing to look for on the device.`, { phase: 'verify' });
    return verifyModuleInstalled(session, info, image.name, await userPartSha256(info, image.read.bind(image), image.size));
  },

  cannotVerify(port): string | undefined {
    // The restarted device runs its application: only the 28800 signal brings it back to listening mode.
    return port.lineRate ? undefined : `${port.description} cannot pass the 28800-baud signal that puts the restarted device in listening mode`;
  },
};
