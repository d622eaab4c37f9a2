/**
 * The Spark Core on firmware 0.4.x: 28800 baud arms a receiver that stays silent until the
 * first packet. The image goes to external flash 0x60000 and the bootloader copies it to
 * 0x08005000 without checking anything, so every check happens here, before sending.
 */
import { formatAddress } from '../../image/address.js';
import type { FirmwareFile } from '../../image/firmware-file.js';
import type { SenderOptions } from '../../protocol/file-sender.js';
import { protectedRegionRefusals } from '../address-check.js';
import { platformByKey } from '../platforms.js';
import { checkImageWithDevice } from './device-modules.js';
import type { DeviceProfile, DeviceSession, ImageCheck, TargetRequest } from '../profile.js';
import { particleFamilyHooks } from './family.js';
import { CORE_APPLICATION_ADDRESS, checkCoreImage, looksLikeCoreApplication } from './spark-core-image.js';
import {
  confirmsDownload,
  noAnswerError,
  startReceiverFromConsole,
  switchToListeningRate,
} from './listening-mode.js';

const CORE = platformByKey('core')!;
/** The armed receiver is silent; 0.4.9 sends a C after its 5 s byte timeout, earlier ones never. */
export const CORE_START_WAIT_MS = 1_000;
/** Erasing 108 KB of external flash before the header's ACK. */
export const CORE_HEADER_ACK_TIMEOUT_MS = 10_000;
/** Over TCP the Core can only be reached in listening mode with the Ymodem library: it answers `f` at once. */
export const CORE_PROMPT_TIMEOUT_MS = 3_000;

export const sparkCoreProfile: DeviceProfile = {
  name: 'spark-core',
  aliases: ['core'],
  summary: 'Spark Core on firmware 0.4.x (28800 baud arms its receiver; image installed at 0x08005000)',
  ...particleFamilyHooks('Spark Core', (platform) => platform === CORE),
  // The receiver learns the image's size from the YMODEM header.
  protocols: ['ymodem'],

  claimsImage(head) {
    if (!looksLikeCoreApplication(head)) return undefined;
    return { reason: "the image's vector table fits the Spark Core (stack in its 20 KB of RAM)", platform: CORE };
  },

  async checkImage(image: FirmwareFile, request: TargetRequest): Promise<ImageCheck> {
    const refusals = protectedRegionRefusals(CORE, request.address, image.size);
    refusals.push(...(await checkCoreImage(image.read.bind(image), image.size, request.address, image.name)));
    return {
      refusals,
      destination: CORE_APPLICATION_ADDRESS,
      destinationReason: 'where the Spark Core installs every application',
      // A refused image is not what its vector table first suggested: say nothing it was refused for.
      description: refusals.length === 0 ? `Spark Core application for ${formatAddress(CORE_APPLICATION_ADDRESS)}` : 'refused as a Spark Core application (see Forced)',
    };
  },

  describeEntry(_request: TargetRequest, port): string {
    return port.lineRate
      ? 'set 9600 then 28800 baud, which arms the Core\'s receiver; send the header without waiting for a C'
      : "send 'f' (the Core must be in listening mode with the Ymodem library) and wait for the prompt";
  },

  async enterReceiver(session: DeviceSession, request: TargetRequest, image: FirmwareFile): Promise<SenderOptions | void> {
    if (await switchToListeningRate(session, 'its serial receiver mode')) return;
    // In listening mode (reached by hand over a port without line rate): is it a Core at all?
    await checkImageWithDevice(session, { platformId: CORE.id }, image.name, { force: request.force, signalled: false });
    const answer = await startReceiverFromConsole(session, CORE_PROMPT_TIMEOUT_MS);
    if (answer === 'silent') throw noAnswerError('Spark Core', session.connection.description);
  },

  senderOptions(): SenderOptions {
    return {
      dialect: { silentStart: true, nakOnDuplicate: true, naksFirstEot: false, requestsAfterEot: false, confirmsCompletion: confirmsDownload },
      startTimeoutMs: CORE_START_WAIT_MS,
      headerAckTimeoutMs: CORE_HEADER_ACK_TIMEOUT_MS,
      // A silent header that is never ACKed means nobody is listening: do not wait minutes.
      headerRetries: 2,
    };
  },
};
