/**
 * Getting a Particle or Spark device to listen over USB serial (docs/protocol.md §1–2):
 * 9600 then 28800 baud, because Linux's cdc-acm only signals a line-coding change.
 */
import { CancelledError, DisconnectedError, type SerialFlashError, TransferError } from '../../errors.js';
import { CAN, CRC_REQUEST } from '../../protocol/control-bytes.js';
import { drainUntilQuiet, waitForText } from '../console.js';
import type { DeviceSession } from '../profile.js';
import { explainDeviceText, LISTENING_PROMPT, RESTARTING_TEXT, SUCCESS_TEXT } from './texts.js';

/** A harmless rate: 14400 would send the device to DFU and 28800 into listening mode. */
export const SAFE_BAUD_RATE = 9600;
/** Device OS 0.5–5.x enters listening mode; 0.4.x arms the receiver directly. */
export const LISTENING_BAUD_RATE = 28800;
/** Application output is drained until the line is quiet this long... */
export const APPLICATION_QUIET_MS = 300;
/** ...but no longer than this (a chatty application never goes quiet). */
export const APPLICATION_DRAIN_MAX_MS = 2_000;
/** How long the device may take to answer `f`. A Xenon took about 6 s. */
export const FIRST_ANSWER_TIMEOUT_MS = 10_000;

/** Sets 9600 then 28800 when the transport can signal; says so when it cannot. */
export async function switchToListeningRate(session: DeviceSession, what: string): Promise<boolean> {
  if (!session.connection.canSetLineRate) {
    session.onStep(`${session.connection.path} is ${session.connection.description}, which cannot pass a line-rate change on to the device, so it must already be in ${what}`);
    return false;
  }
  session.onStep(`setting ${SAFE_BAUD_RATE} then ${LISTENING_BAUD_RATE} baud to put the device in ${what}`);
  await session.connection.setBaudRate(SAFE_BAUD_RATE);
  await session.connection.setBaudRate(LISTENING_BAUD_RATE);
  return true;
}

/**
 * Sends `f` and waits for the whole prompt line (CR LF included: a sender that starts on the
 * text and reads the late CR LF as the header's answer fails) or for a receiver byte.
 */
export async function startReceiverFromConsole(session: DeviceSession, timeoutMs = FIRST_ANSWER_TIMEOUT_MS): Promise<'prompt' | 'receiver' | 'silent'> {
  const drained = await drainUntilQuiet(session, APPLICATION_QUIET_MS, APPLICATION_DRAIN_MAX_MS);
  if (drained) session.onStep(`read ${drained.length} bytes the application printed`);
  session.onStep("sending 'f' to start the YMODEM receiver");
  await session.write('f');
  const atLineStart = (text: string) => text === '' || text.endsWith('\n');
  const { match, text } = await waitForText(session, LISTENING_PROMPT, timeoutMs, {
    stopAt: (byte, soFar) => (byte === CRC_REQUEST && atLineStart(soFar)) || byte === CAN,
  });
  if (match) return 'prompt';
  const known = explainDeviceText(text);
  if (known) throw new TransferError(known.code, known.message, { phase: 'enter', deviceText: text });
  return session.reader.available > 0 ? 'receiver' : 'silent';
}

/** `unsignalledPort` names the kind of port that could not pass the 28800-baud signal on, if that was the case. */
export function noAnswerError(device: string, unsignalledPort?: string): TransferError {
  const how = unsignalledPort
    ? `${unsignalledPort} cannot pass the 28800-baud signal on, so put it in listening mode yourself: hold MODE/SETUP about 3 s until the LED blinks blue (for serial-flash emulate: press l in its terminal, or start it with --stay-listening)`
    : 'hold MODE/SETUP about 3 s until the LED blinks blue, then run this again; if it still does not answer, try another USB port or cable';
  return new TransferError('NO_ANSWER', `The ${device} did not answer: ${how}.`, { phase: 'enter' });
}

/** After the final ACK the device prints its verdict, then resets: the port vanishing is the normal end. */
export const CLOSING_TEXT_TIMEOUT_MS = 3_000;

/** Reads the closing words; a disconnect here is the device restarting into the new firmware. */
export async function readClosingText(session: DeviceSession): Promise<string | undefined> {
  try {
    const { text } = await waitForText(session, RESTARTING_OR_DONE, CLOSING_TEXT_TIMEOUT_MS);
    const success = text.match(SUCCESS_TEXT);
    return success ? success[0] : undefined;
  } catch (error) {
    if (error instanceof DisconnectedError) {
      session.onStep('the device restarted to apply the update (its port went away, as expected)');
      return undefined;
    }
    throw error;
  }
}

const RESTARTING_OR_DONE = new RegExp(`${RESTARTING_TEXT.source}[^\\n]*\\n`);

/** Rewrites a failure with what the device printed, and what a disconnect means for it. */
export function explainParticleFailure(error: SerialFlashError, device: string): SerialFlashError {
  const known = explainDeviceText(error.context.deviceText ?? '');
  if (known && !(error instanceof CancelledError)) {
    return new TransferError(known.code, known.message, error.context, { cause: error });
  }
  if (error instanceof CancelledError && error.receiver.toldToAbort === true) {
    const { bytesAcknowledged = 0, totalBytes = 0 } = error.context;
    return new CancelledError(
      `The transfer was cancelled after ${bytesAcknowledged} of ${totalBytes} bytes; the ${device} was told to discard it and keeps its previous firmware.`,
      error.context,
      { cause: error },
    );
  }
  if (error instanceof DisconnectedError) {
    const { bytesAcknowledged = 0, totalBytes = 0, phase } = error.context;
    const progress = `The ${device} disconnected after ${bytesAcknowledged} of ${totalBytes} bytes`;
    // After the closing block the device may already be installing: only before it is the old firmware certain.
    const message =
      phase === 'end'
        ? `${progress}, before confirming the update; it may have installed it, so check which firmware it runs, or reconnect it and flash again (--wait waits for the port to come back).`
        : `${progress}; it keeps its previous firmware, so reconnect it and flash again (--wait waits for the port to come back).`;
    return new DisconnectedError(message, error.context, { cause: error });
  }
  return error;
}

/** Never leave 28800 (listening mode) or 14400 (DFU) set for the next program that opens the port. */
export async function restoreSafeRate(session: DeviceSession): Promise<void> {
  if (!session.connection.canSetLineRate) return;
  await session.connection.setBaudRate(SAFE_BAUD_RATE).catch(() => undefined);
}

/**
 * The header of a probe for a silent receiver went unanswered: nobody is listening. Text the
 * application logged meanwhile does not change that; only the device's own failure texts do.
 */
export function isUnansweredHeader(error: SerialFlashError): boolean {
  return (
    error instanceof TransferError &&
    error.code === 'TOO_MANY_RETRIES' &&
    error.context.phase === 'header' &&
    error.receiver.answered !== true &&
    !explainDeviceText(error.context.deviceText ?? '')
  );
}

/** Device OS prints this after the final packet, on every version: the device has the whole image. */
export function confirmsDownload(deviceText: string): boolean {
  return SUCCESS_TEXT.test(deviceText);
}
