/**
 * U-Boot over its console: `loady ADDR [BAUD]` at the `=> ` prompt, the switch to a faster
 * line and back, and afterwards U-Boot's own `crc32 ADDR SIZE` of what landed in memory.
 * What U-Boot prints and when is documented in docs/protocol.md §7 (checked against a real U-Boot).
 */
import { InputError, type SerialFlashError, TransferError } from '../errors.js';
import { crc32OfSource } from '../image/crc32.js';
import { formatAddress } from '../image/address.js';
import type { FirmwareFile } from '../image/firmware-file.js';
import type { SendResult } from '../protocol/file-sender.js';
import { PROMPT_GLANCE_MS, PROMPT_TIMEOUT_MS, SUMMARY_TIMEOUT_MS, UBOOT_BANNER, UBOOT_PROMPT, WAKE_KEY, awaitPrompt, ubootConsole } from './console-target.js';
import { type ConsoleSession, type WaitResult, waitForText } from './console.js';
import type { DeviceProfile, DeviceSession, ImageCheck, TargetRequest, Verification } from './profile.js';

/** How a load ends on U-Boot's console: its summary (group 1: the size), or "download aborted". */
const LOAD_ENDED = /## Total Size\s*=\s*0x[0-9a-f]+\s*=\s*(\d+) Bytes\r?\n|## Binary \((?:ymodem|xmodem)\) download aborted\r?\n/i;
const START_ADDRESS = /## Start Addr\s*=\s*0x([0-9a-f]+)\r?\n/i;
const SWITCH_FOR_TRANSFER = /## Switch baudrate to (\d+) bps and press ENTER \.\.\.\r?\n/;
const SWITCH_BACK = /## Switch baudrate to (\d+) bps and press ESC \.\.\.\r?\n/;
const READY = /## Ready for binary \((?:ymodem|xmodem)\) download to 0x[0-9A-F]+ at (\d+) bps\.\.\.\r?\n/i;
const CRC32_ANSWER = /crc32 for [0-9a-f]+ \.\.\. [0-9a-f]+ ==> ([0-9a-f]{8})\r?\n|Unknown command 'crc32'/i;
/** A board that has just started counts down to its boot command; a key stops it. */
const AUTOBOOT_COUNTDOWN = /Hit any key to stop autoboot/;
const START_OR_COUNTDOWN = new RegExp(`${START_ADDRESS.source}|${AUTOBOOT_COUNTDOWN.source}`, 'i');
const LOAD_ENDED_OR_COUNTDOWN = new RegExp(`${LOAD_ENDED.source}|${AUTOBOOT_COUNTDOWN.source}`, 'i');
const PROMPT_OR_COUNTDOWN = new RegExp(`${UBOOT_PROMPT.source}|${AUTOBOOT_COUNTDOWN.source}`);
/** Keys pressed for a prompt after the transfer: one may be lost while the board is still restarting. */
const PROMPT_KEYS = 3;
/** How a load that did not complete ends on U-Boot's console (after "Cancelled", "Timed out"…). */
const LOAD_ABORTED = /## Binary \((?:ymodem|xmodem)\) download aborted\r?\n/;
/** After a failed transfer, how long U-Boot may take to take in our CANs and say it stopped. */
const ABORT_TIMEOUT_MS = 3_000;
/**
 * When U-Boot breaks a load off itself it sends CAN ×4, then reads the line until it has been
 * quiet for 2 s (xyzModem_stream_terminate), and only then prints why: allow that and more.
 */
const CANCEL_REASON_TIMEOUT_MS = 5_000;
const ENTER = '\r';
const ESCAPE = '\x1b';
/**
 * U-Boot waits 50 ms after its switch message, changes the UART, and waits 50 ms more before
 * it reads: a key pressed sooner arrives at the old rate, as noise.
 */
export const BAUD_SETTLE_MS = 150;
/** Presses of Enter at the new rate before giving up on the switch (the first may be lost as noise). */
const SWITCH_ATTEMPTS = 3;
/** After a failed load, U-Boot's cancel text and its switch-back line come within this. */
const SWITCH_BACK_TIMEOUT_MS = 5_000;
/** `crc32` of a large image on a slow board takes a while (about 100 MB/s on a Cortex-A). */
const CRC32_TIMEOUT_MS = 30_000;

interface LoadState {
  /** The console's rate, to come back to. */
  consoleBaud: number;
  /** Our side runs at the transfer rate and U-Boot expects an ESC to switch back. */
  switched: boolean;
  /** Where U-Boot says it stored the file. */
  startAddress?: number;
  /** U-Boot's receiver runs and has not said how the load ended. */
  loading: boolean;
  /** crc32 will check the load (not --no-verify). */
  verifies: boolean;
  /** loadx (XMODEM) rather than loady: no size is sent, so U-Boot strips trailing 0x1A runs. */
  xmodem: boolean;
}

/** What to do when U-Boot's own words name the cause: loading again would only fail again. */
const WHERE_TO_LOAD = 'load it to an address in RAM (U-Boot\'s bdinfo shows where RAM is)';

const loads = new WeakMap<DeviceSession, LoadState>();

export const ubootProfile: DeviceProfile = {
  ...ubootConsole,
  switchesBaud: true,

  async checkImage(image: FirmwareFile, request: TargetRequest): Promise<ImageCheck> {
    if (request.transferBaud !== undefined && request.address === undefined) {
      throw new InputError('ADDRESS_REQUIRED', 'loady takes the transfer rate after the address; give one with --address, e.g. --address 0x40200000.');
    }
    return ubootConsole.checkImage(image, request);
  },

  describeEntry(request: TargetRequest): string {
    const command = loadCommand(request);
    const baud = request.transferBaud ? `, switch to ${request.transferBaud} bps when U-Boot asks and press Enter` : '';
    return `wait for the console prompt (pressing Ctrl-C if none shows), then type "${command}" and Enter${baud}, then wait for the receiver's C`;
  },

  async enterReceiver(session: DeviceSession, request: TargetRequest): Promise<void> {
    await awaitPrompt(session, UBOOT_PROMPT);
    const consoleBaud = session.connection.baudRate ?? 0;
    const state: LoadState = { consoleBaud, switched: false, loading: false, verifies: request.verify !== false, xmodem: (request.protocol ?? 'ymodem') !== 'ymodem' };
    loads.set(session, state);
    const transferBaud = request.transferBaud !== undefined && request.transferBaud !== consoleBaud ? request.transferBaud : undefined;
    const command = loadCommand({ ...request, transferBaud });
    session.onStep(`typing "${command}"`);
    await session.write(`${command}${ENTER}`);
    if (transferBaud !== undefined) await switchForTransfer(session, state, transferBaud);
    state.loading = true;
  },

  async finish(session: DeviceSession, result: SendResult): Promise<string | undefined> {
    const state = loads.get(session);
    // A board that restarted counts down to its boot command (2 s): stop it at once, not after
    // the whole wait for a summary that will not come.
    const ended = await waitForText(session, LOAD_ENDED_OR_COUNTDOWN, SUMMARY_TIMEOUT_MS);
    const { match } = ended;
    if (!match || AUTOBOOT_COUNTDOWN.test(match[0])) return promptAfterSilence(session, state, ended.text);
    if (state) state.loading = false;
    if (!match[1]) {
      const reason = lastLineBefore(match.input ?? '', match.index ?? 0);
      const advice = /flash/i.test(reason ?? '') ? `the address is in flash, not RAM, so ${WHERE_TO_LOAD}` : 'load it again';
      throw new TransferError(
        'ABORTED_ON_DEVICE',
        `U-Boot acknowledged every block but then ended the load${reason ? ` with "${reason}"` : ''}, so it does not count it as loaded; ${advice}.`,
      );
    }
    const reported = Number(match[1]);
    if (reported !== result.bytes) {
      const advice =
        state?.xmodem && reported < result.bytes
          ? "U-Boot's loadx drops a run of three or more 0x1A bytes from the end of every XMODEM block, so load it with YMODEM (leave out --protocol), which sends the size"
          : 'load it again';
      throw new TransferError('SIZE_MISMATCH', `U-Boot reports ${reported} bytes received but ${result.bytes} were sent; ${advice}.`);
    }
    // A board that restarts now must not count down unnoticed while this waits.
    const start = await waitForText(session, START_OR_COUNTDOWN, SUMMARY_TIMEOUT_MS);
    if (state && start.match?.[1]) state.startAddress = Number.parseInt(start.match[1], 16);
    if (state?.switched) await switchBack(session, state);
    else if (UBOOT_BANNER.test((await readToPrompt(session, start.text, PROMPT_TIMEOUT_MS, { keyWhenQuiet: false })).text)) {
      session.onStep('the board restarted after the load (autoboot stopped at the prompt): its memory decides');
      return `${match[0].trim()} (the board restarted after it)`;
    }
    return match[0].trim();
  },

  async verify(session: DeviceSession, request: TargetRequest, image: FirmwareFile, result: SendResult): Promise<Verification> {
    const address = loads.get(session)?.startAddress ?? request.address;
    if (address === undefined) {
      throw new TransferError('NOT_VERIFIED', 'U-Boot did not say where it stored the file, so the load could not be checked; run crc32 by hand, or load again with --no-verify.');
    }
    // U-Boot reads every number on its command line as hex.
    const command = `crc32 ${address.toString(16)} ${result.bytes.toString(16)}`;
    session.onStep(`typing "${command}" to check what landed in memory`);
    await session.write(`${command}${ENTER}`);
    const { match } = await waitForText(session, CRC32_ANSWER, CRC32_TIMEOUT_MS);
    await waitForText(session, UBOOT_PROMPT, PROMPT_TIMEOUT_MS);
    if (!match?.[1]) {
      const why = match ? 'this U-Boot has no crc32 command' : `U-Boot did not answer "${command}"`;
      throw new TransferError('NOT_VERIFIED', `The load could not be checked because ${why}; load again with --no-verify to skip the check.`);
    }
    const expected = hex32(await crc32OfSource((offset, length) => image.read(offset, length), 0, result.bytes));
    const actual = match[1].toLowerCase();
    if (actual !== expected) {
      throw new TransferError(
        'VERIFY_MISMATCH',
        `U-Boot's crc32 of the ${result.bytes} bytes at ${formatAddress(address)} is ${actual} but the file's is ${expected}, so memory does not hold the file; check that ${formatAddress(address)} is in RAM (U-Boot's bdinfo shows where), then load it again.`,
      );
    }
    return { command, crc32: actual };
  },

  async explain(error: SerialFlashError, session: DeviceSession): Promise<SerialFlashError> {
    const state = loads.get(session);
    if (error.code === 'RECEIVER_CANCELLED' && state?.loading) return quoteCancelReason(session, state, error);
    return ubootConsole.explain(error, session);
  },

  async release(session: DeviceSession): Promise<void> {
    const state = loads.get(session);
    loads.delete(session);
    if (!state) return;
    // Ctrl-C may have ended the transfer: the way back must not be cut short by that signal.
    const unsignalled = { ...session, signal: undefined };
    // The port must stay open until U-Boot has read our CANs: closing a pty (QEMU) drops what it has not read.
    if (state.loading) await waitForText(unsignalled, LOAD_ABORTED, ABORT_TIMEOUT_MS).catch(() => undefined);
    if (state.switched) await switchBack(unsignalled, state);
  },
};

/**
 * No summary after the last ACK: the board may have restarted (its RAM survives a reset, U-Boot's
 * record of the load does not). Then only crc32 of the memory can tell whether it holds the
 * file: without it (--no-verify) a restarted board's load is not counted as done.
 */
async function promptAfterSilence(session: DeviceSession, state: LoadState | undefined, seen: string): Promise<string | undefined> {
  const reached = await readToPrompt(session, seen, PROMPT_GLANCE_MS, { keyWhenQuiet: true });
  if (!reached.atPrompt) {
    throw new TransferError(
      'NO_PROMPT',
      `U-Boot said nothing after the transfer and showed no prompt within ${PROMPT_TIMEOUT_MS / 1000} s, so the load could not be checked; stop the board at its prompt and load it again.`,
    );
  }
  if (state) state.loading = false;
  if (!UBOOT_BANNER.test(reached.text)) return undefined; // no word from U-Boot: the crc32 check decides
  if (state && !state.verifies) {
    throw new TransferError(
      'DEVICE_RESTARTED',
      'The board restarted right after the transfer, so U-Boot did not finish the load and nothing checked its memory afterwards; check whether it kept the file with crc32, or load it again without --no-verify.',
    );
  }
  session.onStep('the board restarted after the transfer (autoboot stopped at the prompt): its memory decides');
  return 'the board restarted after the transfer; its memory was checked after the restart';
}

/**
 * Reads up to U-Boot's prompt after a load. A board that restarted meanwhile counts down to its
 * boot command: a key stops the countdown (U-Boot eats that key, so a command typed into it
 * loses its first letter) and keeps the board where the load left it, at its prompt, before its
 * boot command can overwrite RAM. The key is Ctrl-C, which at a prompt runs nothing (Enter would
 * run the last command again). `seen`: what was read since the load ended (a countdown may show
 * in it already); `keyWhenQuiet`: press the key too when nothing comes within `firstWaitMs`.
 * Returns all the text read, `seen` included.
 */
async function readToPrompt(
  session: DeviceSession,
  seen: string,
  firstWaitMs: number,
  { keyWhenQuiet }: { keyWhenQuiet: boolean },
): Promise<{ text: string; atPrompt: boolean }> {
  const isPrompt = (answer: WaitResult) => answer.match !== undefined && !AUTOBOOT_COUNTDOWN.test(answer.match[0]);
  const counting = seen.match(AUTOBOOT_COUNTDOWN);
  let answer: WaitResult = counting ? { match: counting, text: '' } : await waitForText(session, PROMPT_OR_COUNTDOWN, firstWaitMs);
  let text = seen + answer.text;
  if (!answer.match && !keyWhenQuiet) return { text, atPrompt: false };
  for (let key = 0; key < PROMPT_KEYS && !isPrompt(answer); key++) {
    session.onStep(AUTOBOOT_COUNTDOWN.test(text) ? 'the board restarted: pressing Ctrl-C to stop its autoboot' : 'no word from U-Boot after the transfer: pressing Ctrl-C for its prompt');
    await session.write(WAKE_KEY);
    // A countdown that began after our key (it came while the board was restarting) needs another.
    answer = await waitForText(session, PROMPT_OR_COUNTDOWN, PROMPT_TIMEOUT_MS);
    text += answer.text;
    if (!answer.match) break;
  }
  return { text, atPrompt: isPrompt(answer) };
}

/**
 * `loady 0x40200000` (`loadx` for XMODEM), with the transfer rate after the address when one
 * is asked for: `loady 0x40200000 921600` (U-Boot reads the rate as decimal).
 */
function loadCommand(request: TargetRequest): string {
  const command = request.protocol === undefined || request.protocol === 'ymodem' ? 'loady' : 'loadx';
  const address = request.address === undefined ? '' : ` ${formatAddress(request.address)}`;
  const baud = request.transferBaud === undefined ? '' : ` ${request.transferBaud}`;
  return `${command}${address}${baud}`;
}

/** `## Switch baudrate to N bps and press ENTER ...`: follow it, press Enter at N, see `## Ready`. */
async function switchForTransfer(session: DeviceSession, state: LoadState, baud: number): Promise<void> {
  const asked = await waitForText(session, SWITCH_FOR_TRANSFER, PROMPT_TIMEOUT_MS);
  if (Number(asked.match?.[1]) !== baud) {
    throw new TransferError(
      'TRANSFER_BAUD_REFUSED',
      `U-Boot did not offer to switch to ${baud} bps for the transfer; leave out --transfer-baud, or check that its loady takes a baud rate.`,
      { phase: 'enter' },
    );
  }
  await session.connection.setBaudRate(baud);
  state.switched = true;
  session.onStep(`switched to ${baud} bps for the transfer`);
  for (let attempt = 0; attempt < SWITCH_ATTEMPTS; attempt++) {
    await pause(session, BAUD_SETTLE_MS);
    await session.write(ENTER);
    if ((await waitForText(session, READY, 1_000)).match) return;
  }
  throw new TransferError(
    'TRANSFER_BAUD_NO_ANSWER',
    `U-Boot switched to ${baud} bps but did not answer at that rate; reset the board and try a lower --transfer-baud (this side is back at ${state.consoleBaud} bps).`,
    { phase: 'enter' },
  );
}

/** `## Switch baudrate to N bps and press ESC ...`: back to the console rate, ESC, the prompt. */
async function switchBack(session: ConsoleSession & Pick<DeviceSession, 'connection' | 'onStep'>, state: LoadState): Promise<void> {
  await waitForText(session, SWITCH_BACK, SWITCH_BACK_TIMEOUT_MS).catch(() => undefined);
  await session.connection.setBaudRate(state.consoleBaud);
  state.switched = false;
  session.onStep(`back to ${state.consoleBaud} bps`);
  for (let attempt = 0; attempt < SWITCH_ATTEMPTS; attempt++) {
    await pause(session, BAUD_SETTLE_MS);
    await session.write(ESCAPE);
    if ((await waitForText(session, UBOOT_PROMPT, 1_000).catch(() => ({ match: undefined }))).match) return;
  }
}

/**
 * U-Boot broke the load off: its reason comes seconds after its CANs, as the line before
 * "## Binary (ymodem) download aborted" (what the sender caught right after the CANs may be
 * anything else the board printed). The sender may have read it already, or it is still to come.
 */
async function quoteCancelReason(session: DeviceSession, state: LoadState, error: SerialFlashError): Promise<SerialFlashError> {
  const alreadyRead = error.context.deviceText?.match(LOAD_ABORTED);
  const match = alreadyRead ?? (await waitForText(session, LOAD_ABORTED, CANCEL_REASON_TIMEOUT_MS).catch(() => ({ match: undefined }))).match;
  if (!match) return error;
  state.loading = false;
  const reason = lastLineBefore(match.input ?? '', match.index ?? 0);
  if (!reason) return error;
  const { bytesAcknowledged = 0, totalBytes = 0 } = error.context;
  return new TransferError(
    'RECEIVER_CANCELLED',
    `U-Boot broke off the load after ${bytesAcknowledged} of ${totalBytes} bytes and said: "${reason}"; load it again.`,
    error.context,
    { cause: error },
  );
}

/** The last line with text before `index` (U-Boot's reason, printed just before "download aborted"). */
function lastLineBefore(text: string, index: number): string | undefined {
  return text
    .slice(0, index)
    .split(/\r?\n/)
    .map((line) => line.replace(/[\x00-\x1f\x7f]/g, '').trim())
    .filter(Boolean)
    .at(-1);
}

function pause(session: ConsoleSession, ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms * (session.timeScale ?? 1)));
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
