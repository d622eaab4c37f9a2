/**
 * Receivers started by typing a command at a console: U-Boot's `loady <addr>`, or any
 * bootloader shell through `--trigger "TEXT"`. The chosen address goes into the command.
 */
import { CancelledError, InputError, type SerialFlashError, TransferError } from '../errors.js';
import { formatAddress } from '../image/address.js';
import type { FirmwareFile } from '../image/firmware-file.js';
import type { ReceiverDialect, SenderOptions } from '../protocol/file-sender.js';
import type { ProtocolName } from '../protocol/protocols.js';
import { CAN, CRC_REQUEST, NAK } from '../protocol/control-bytes.js';
import { TIMED_OUT } from '../protocol/byte-reader.js';
import { placementRefusals, protectedRegionRefusals } from './address-check.js';
import { drainUntilQuiet, waitForText } from './console.js';
import type { DeviceProfile, DeviceSession, ImageCheck, TargetRequest } from './profile.js';
import { CLOSING_TEXT_MAX_MS, CLOSING_TEXT_QUIET_MS } from './ymodem.js';

/** A prompt printed before we opened the port is lost; this long without one, we press Ctrl-C. */
export const PROMPT_GLANCE_MS = 300;
/**
 * Ctrl-C, not Enter, asks a console for a fresh prompt: at U-Boot's prompt an empty line runs the
 * last command again (a `sf erase` or `mw` the user typed before), while Ctrl-C drops the line,
 * prints `<INTERRUPT>` and runs nothing; during the autoboot countdown it is the key that stops
 * it. Checked against U-Boot 2023.01 (docs/protocol.md §7).
 */
export const WAKE_KEY = '\x03';
/**
 * How long a console may take to answer Ctrl-C with its prompt. A board still starting up can
 * take seconds (a busy Particle device took 6 s for its first answer): as FIRST_ANSWER_TIMEOUT_MS.
 */
export const PROMPT_TIMEOUT_MS = 10_000;
/** U-Boot prints its summary and prompt right after the transfer; allow for a slow line. */
export const SUMMARY_TIMEOUT_MS = 3_000;

/** U-Boot's prompt: `=> ` (`U-Boot> `, `# ` on some boards); never a `## ` message line. */
export const UBOOT_PROMPT = /(?:^|\n)(?!##)[^\n]*(?:=>|U-Boot>|#) $/;
const UBOOT_TOTAL_SIZE = /## Total Size\s*=\s*0x[0-9a-f]+\s*=\s*(\d+) Bytes/i;
/** U-Boot's version line, printed first at every start ("U-Boot 2024.01 (Jan 08 2024 - 10:00:00 +0000)"). */
export const UBOOT_BANNER = /^U-Boot \d{4}\.\d{2}/m;

interface ConsoleTargetSpec {
  name: string;
  summary: string;
  example?: DeviceProfile['example'];
  /** Its own command starts the receiver: `--trigger` does not replace it. */
  ignoresTrigger?: boolean;
  /** Command template; `{address}`, `{size}`, `{name}` are filled in. */
  command: (request: TargetRequest) => string;
  /** Wait for this prompt (pressing Ctrl-C if needed) before typing the command. */
  prompt?: RegExp;
  /** Read the receiver's summary after the transfer. */
  summaryLine?: RegExp;
  /** What the board prints when it starts: seen during a transfer, the board restarted. */
  banner?: RegExp;
  /** How its receiver departs from the standard. */
  dialect?: ReceiverDialect;
  /** The protocols its command starts a receiver for; every one when absent. */
  protocols?: readonly ProtocolName[];
}

const PLACEHOLDERS = ['{address}', '{size}', '{name}'];

/** Fills `{address}`, `{size}` and `{name}` in a trigger command; any other `{word}` is a typo. */
export function fillCommand(template: string, address: number | undefined, image: FirmwareFile): string {
  const unknown = [...template.matchAll(/\{[^{}\s]*\}/g)].map((match) => match[0]).filter((word) => !PLACEHOLDERS.includes(word));
  if (unknown.length > 0) {
    throw new InputError(
      'TRIGGER_PLACEHOLDER_UNKNOWN',
      `The trigger "${template}" uses ${unknown.join(', ')}, which serial-flash does not fill in; the placeholders are ${PLACEHOLDERS.join(', ')}.`,
    );
  }
  if (template.includes('{address}') && address === undefined) {
    throw new InputError('ADDRESS_REQUIRED', `The trigger "${template}" uses {address}; give one with --address, e.g. --address 0x08004000.`);
  }
  return template
    .replaceAll('{address}', address === undefined ? '' : formatAddress(address))
    .replaceAll('{size}', String(image.size))
    .replaceAll('{name}', image.name);
}

function consoleTarget(spec: ConsoleTargetSpec): DeviceProfile {
  return {
    name: spec.name,
    summary: spec.summary,
    example: spec.example,
    ignoresTrigger: spec.ignoresTrigger,
    protocols: spec.protocols,
    assertDtr: true,

    async checkImage(image: FirmwareFile, request: TargetRequest): Promise<ImageCheck> {
      fillCommand(spec.command(request), request.address, image);
      const refusals = [...protectedRegionRefusals(request.platform, request.address, image.size), ...placementRefusals(request.address, image.size)];
      return { refusals, destination: request.address };
    },

    describeEntry(request: TargetRequest): string {
      const waitPrompt = spec.prompt ? 'wait for the console prompt (pressing Ctrl-C if none shows), then ' : '';
      return `${waitPrompt}type "${spec.command(request)}" and Enter, then wait for the receiver's C`;
    },

    async enterReceiver(session: DeviceSession, request: TargetRequest, image: FirmwareFile): Promise<void> {
      if (spec.prompt) await awaitPrompt(session, spec.prompt);
      else await drainUntilQuiet(session, PROMPT_GLANCE_MS, PROMPT_TIMEOUT_MS);
      const command = fillCommand(spec.command(request), request.address, image);
      session.onStep(`typing "${command}"`);
      await session.write(`${command}\r`);
    },

    senderOptions(): SenderOptions {
      const { summaryLine: summary, banner } = spec;
      return {
        dialect: {
          ...spec.dialect,
          // The console's own count of what it received stands in for a final ACK lost on the line.
          ...(summary ? { confirmsCompletion: (text, bytes) => Number(text.match(summary)?.[1]) === bytes } : {}),
          // Its banner (a restart) or its summary (the load ended) mid-transfer: the receiver is gone.
          ...(summary || banner ? { showsReceiverEnded: (text) => Boolean(banner?.test(text) || summary?.test(text)) } : {}),
        },
      };
    },

    async finish(session: DeviceSession, result): Promise<string | undefined> {
      if (!spec.summaryLine) {
        await drainUntilQuiet(session, CLOSING_TEXT_QUIET_MS, CLOSING_TEXT_MAX_MS).catch(() => '');
        return undefined;
      }
      const { match } = await waitForText(session, spec.summaryLine, SUMMARY_TIMEOUT_MS);
      if (!match) return undefined;
      const reported = Number(match[1]);
      if (reported !== result.bytes) {
        throw new TransferError('SIZE_MISMATCH', `The console reports ${reported} bytes received but ${result.bytes} were sent; flash again.`);
      }
      await waitForText(session, spec.prompt ?? /\n/, PROMPT_TIMEOUT_MS).catch(() => undefined);
      return match[0];
    },

    explain(error: SerialFlashError): SerialFlashError {
      if (!spec.banner?.test(error.context.deviceText ?? '') || error instanceof CancelledError) return error;
      const { bytesAcknowledged = 0, bytesSent = bytesAcknowledged, totalBytes = 0 } = error.context;
      // A board's memory survives its reset: a block it stored but could not acknowledge stays there.
      const kept = bytesSent >= totalBytes ? 'the load did not finish, though its memory may have kept the whole file' : 'the load did not finish';
      return new TransferError(
        'DEVICE_RESTARTED',
        `The board restarted during the transfer (it printed its start-up banner again) after ${bytesAcknowledged} of ${totalBytes} bytes, so ${kept}; check its power and run this again.`,
        error.context,
        { cause: error },
      );
    },

    async release(): Promise<void> {},
  };
}

export async function awaitPrompt(session: DeviceSession, prompt: RegExp): Promise<void> {
  let found = await waitForPromptOrReceiver(session, prompt, PROMPT_GLANCE_MS);
  if (found === 'prompt') return;
  if (found === 'nothing') {
    session.onStep('no prompt yet: pressing Ctrl-C to wake the console (Enter would run its last command again)');
    await session.write(WAKE_KEY);
    found = await waitForPromptOrReceiver(session, prompt, PROMPT_TIMEOUT_MS);
    if (found === 'prompt') return;
  }
  if (found === 'receiver') {
    // A load typed by hand or left by another program: it would take our file at its own address.
    session.onStep('a receiver is already waiting for a file (a load typed earlier): cancelling it with CAN CAN CAN');
    await session.write(CANCEL_WAITING_RECEIVER);
    if ((await waitForText(session, prompt, PROMPT_TIMEOUT_MS)).match) return;
  }
  throw new TransferError(
    'NO_PROMPT',
    `The console showed no prompt within ${PROMPT_TIMEOUT_MS / 1000} s; check the baud rate (--baud) and that the board is stopped at its boot prompt (press a key during autoboot).`,
    { phase: 'enter' },
  );
}

/** Three CANs cancel U-Boot's waiting receiver (xyzModem counts them; docs/protocol.md §7), as they do lrzsz's. */
const CANCEL_WAITING_RECEIVER = Buffer.of(CAN, CAN, CAN);
/** A receiver's request is followed by silence (it waits seconds for an answer); a line that starts with C goes on at once. */
export const LONE_REQUEST_QUIET_MS = 100;

/**
 * Waits for the prompt, but stops at a receiver's request for a file — `C` or NAK alone at
 * the start of a line (or after another one) with nothing after it — which a console never
 * prints while it waits for a command.
 */
async function waitForPromptOrReceiver(session: DeviceSession, prompt: RegExp, timeoutMs: number): Promise<'prompt' | 'receiver' | 'nothing'> {
  const deadline = performance.now() + timeoutMs * (session.timeScale ?? 1);
  const lastBuffered = (byte: number, soFar: string) =>
    (byte === CRC_REQUEST || byte === NAK) && session.reader.available === 0 && /(?:^|[\n\x15C])$/.test(soFar);
  for (;;) {
    const left = (deadline - performance.now()) / (session.timeScale ?? 1);
    if (left <= 0) return 'nothing';
    const { match } = await waitForText(session, prompt, left, { stopAt: lastBuffered });
    if (match) return 'prompt';
    if (session.reader.available === 0) return 'nothing';
    const request = await session.reader.next(0, session.signal);
    const next = await session.reader.next(LONE_REQUEST_QUIET_MS * (session.timeScale ?? 1), session.signal);
    if (next === TIMED_OUT || next === CRC_REQUEST || next === NAK) return 'receiver';
    // Text went on after it: the letter begins a line of text (the follower keeps it from stopping us again).
    session.reader.unread(Buffer.of(request, next));
  }
}

/** What U-Boot shares with any console; ./uboot.ts adds the rate switch and verification. */
export const ubootConsole = consoleTarget({
  name: 'uboot',
  summary: "U-Boot: types `loady <address>` (`loadx` for XMODEM) at the prompt, then checks what landed with U-Boot's `crc32`",
  example: ['/dev/ttyUSB0 u-boot.itb -t uboot -a 0x81000000 --transfer-baud 921600', 'load into U-Boot with loady at 0x81000000 (at 921600 bps for the transfer), then check it with crc32'],
  ignoresTrigger: true,
  command: (request) => (request.address === undefined ? 'loady' : `loady ${formatAddress(request.address)}`),
  prompt: UBOOT_PROMPT,
  summaryLine: UBOOT_TOTAL_SIZE,
  banner: UBOOT_BANNER,
  // After the header's ACK, loady sends no C: it waits for block 1 (its own timeouts send one ~4 s later).
  dialect: { requestsAfterHeader: false },
  // loady for YMODEM, loadx for XMODEM (it takes 1K blocks too).
  protocols: ['ymodem', 'xmodem', 'xmodem-1k'],
});

/** `--trigger "TEXT"`: a command typed at any console before YMODEM starts. */
export function triggerProfile(template: string): DeviceProfile {
  return consoleTarget({
    name: 'ymodem',
    summary: `a console that starts its YMODEM receiver on "${template}"`,
    command: () => template,
  });
}
