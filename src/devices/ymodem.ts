/**
 * A receiver that is already waiting: lrzsz `rb` or `rx`, an ST-style IAP bootloader's
 * download menu, a boot ROM's XMODEM loader, anything that speaks standard YMODEM or XMODEM.
 * Nothing to enter, nothing to interpret.
 */
import { type SerialFlashError, type TransferCode, TransferError } from '../errors.js';
import { formatAddress } from '../image/address.js';
import type { FirmwareFile } from '../image/firmware-file.js';
import type { SenderOptions } from '../protocol/file-sender.js';
import { DEFAULT_PROTOCOL, PROTOCOLS } from '../protocol/protocols.js';
import { isPseudoTerminal } from '../transport/pseudo-terminal.js';
import { placementRefusals, protectedRegionRefusals } from './address-check.js';
import { drainUntilQuiet, recognizeConsole } from './console.js';
import type { DeviceProfile, DeviceSession, ImageCheck, TargetRequest } from './profile.js';

/** After the final ACK, receivers often print a line or two (IAP menus redraw themselves). */
export const CLOSING_TEXT_QUIET_MS = 200;
export const CLOSING_TEXT_MAX_MS = 1_000;
/**
 * On a pty, how long to let lrzsz `rb` flush its input after the `C` before sending: 50 ms
 * covers its write-then-tcflush being descheduled on a busy machine (seen in the pty tests).
 */
export const PTY_REQUEST_SETTLE_MS = 50;

/** How a receiver that asked for a file refuses YMODEM's header: an XMODEM receiver, most likely. */
const HEADER_REFUSALS = new Set<string>(['RECEIVER_CANCELLED', 'TOO_MANY_RETRIES'] satisfies TransferCode[]);

export const ymodemProfile: DeviceProfile = {
  name: 'ymodem',
  // For XMODEM receivers (`-t generic --protocol xmodem`), where "ymodem" reads wrong.
  aliases: ['generic'],
  summary: 'any standard YMODEM or XMODEM receiver that is already waiting (lrzsz rb/rx, IAP bootloader menus, boot ROMs)',
  example: ['/dev/ttyUSB0 app.bin --target ymodem', 'send to a receiver that is already waiting (rb, an IAP menu)'],
  receiverWait(request: TargetRequest): string {
    const protocol = request.protocol ?? DEFAULT_PROTOCOL;
    const program = protocol === 'ymodem' ? 'rb' : 'rx';
    return `it must already be waiting for ${PROTOCOLS[protocol].upload} (start ${program}, or the download in the bootloader's menu) at this line's rate (--baud); at a U-Boot console add -t uboot, at another console --trigger "COMMAND"`;
  },
  assertDtr: true,

  async checkImage(image: FirmwareFile, request: TargetRequest): Promise<ImageCheck> {
    return {
      refusals: [...protectedRegionRefusals(request.platform, request.address, image.size), ...placementRefusals(request.address, image.size)],
      destination: request.address,
    };
  },

  describeEntry(request: TargetRequest): string {
    const where = request.address !== undefined ? ` (it decides where the bytes go; ${formatAddress(request.address)} was checked, not sent)` : '';
    return `none: the receiver must already be waiting for ${PROTOCOLS[request.protocol ?? DEFAULT_PROTOCOL].upload}${where}`;
  },

  async enterReceiver(session: DeviceSession): Promise<SenderOptions | void> {
    // rb's flush after its C only races a block that arrives at once, i.e. over a pty.
    if (await isPseudoTerminal(session.connection.path)) return { requestSettleMs: PTY_REQUEST_SETTLE_MS };
  },

  senderOptions(): SenderOptions {
    return {};
  },

  async finish(session: DeviceSession): Promise<string | undefined> {
    await drainUntilQuiet(session, CLOSING_TEXT_QUIET_MS, CLOSING_TEXT_MAX_MS).catch(() => '');
    return undefined;
  },

  explain(error: SerialFlashError): SerialFlashError {
    if (error.context.phase === 'header' && HEADER_REFUSALS.has(error.code)) {
      const what = error.message.replace(/\.$/, '');
      const message = `At the file's header block, ${what[0]!.toLowerCase()}${what.slice(1)}; an XMODEM receiver (a boot ROM, lrzsz rx, U-Boot's loadx) takes no header, so if it is one, add --protocol xmodem.`;
      return new TransferError(error.code as TransferCode, message, error.context, { cause: error });
    }
    // A console at its prompt never asks for a file: say which one it looks like.
    const known = error.code === 'NO_RECEIVER' ? recognizeConsole(error.context.deviceText ?? '') : undefined;
    if (!known) return error;
    const message = `${error.message.replace(/;.*$/, '')}, and the device's text looks like ${known.name}'s console; add -t ${known.target} so serial-flash starts its receiver.`;
    return new TransferError('NO_RECEIVER', message, error.context, { cause: error });
  },

  async release(): Promise<void> {},
};
