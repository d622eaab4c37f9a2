/**
 * The invariants every run is held to, judged from the device's side of the wire:
 * - success only when the device holds the image (checked by the caller);
 * - a failure is one typed, one-sentence message naming the cause — the device's own words
 *   when it gave any, "disconnected after N of M bytes" when its port went away — and the
 *   device was told to abort with CANs at a block boundary unless it was gone or gave up itself;
 * - whatever happened, the port was closed and left at a harmless rate.
 * Each breach is a string; those that make a failure unexplained start with "unexplained:".
 */
import { SerialFlashError } from '../../src/errors.js';
import { CAN } from '../../src/protocol/control-bytes.js';
import { type DeviceView, parseHostFraming } from './observe.js';
import type { DeviceSpec, Scenario } from './scenarios.js';

export type Verdict = 'success' | 'explained-failure' | 'false-success' | 'silent-failure';

/** What the CLI opens with, and what the Particle profiles must leave behind (never 14400 or 28800). */
const OPEN_BAUD_RATE = 115_200;
const SAFE_BAUD_RATE = 9600;
const DFU_BAUD_RATE = 14400;
/** Application log lines the noise fault prints: never the device's reason for anything. */
const NOISE_LINE = /\[app\]/;
/** How a failure message admits that the device may have the image after all. */
const MAY_HAVE_IT = /most likely has the whole file|may have installed it|check whether it kept the file|may have kept the whole file/;
/** Codes that mean "we do not know what happened". */
const UNEXPLAINED_CODES = new Set(['UNEXPECTED', 'SEND_FAILED']);

export interface RunFacts {
  scenario: Scenario;
  spec: DeviceSpec;
  error: unknown;
  exitCode: number;
  holdsImage: boolean;
  view: DeviceView;
  /** Bytes the device stored (offset + size of its last block). */
  storedBytes: number;
}

export function explainFailure(facts: RunFacts): string[] {
  const { error, exitCode, holdsImage, view, scenario } = facts;
  const breaches: string[] = [];
  const framing = parseHostFraming(view.hostBytes(), 2);
  if (framing.problem) breaches.push(`wire: the host's bytes are not whole blocks then CANs (${framing.problem})`);
  breaches.push(...portBreaches(facts));
  if (exitCode === 0) {
    if (framing.cans > 0) breaches.push('wire: a successful run sent CAN');
    return breaches;
  }
  // Failing while the device has the image is a lie unless the message says it may well have it.
  if (holdsImage && !MAY_HAVE_IT.test(error instanceof Error ? error.message : '')) {
    breaches.push('image: the run failed but the device holds the image');
  }
  if (!(error instanceof SerialFlashError)) return [...breaches, `unexplained: not a typed error (${String(error)})`];
  const message = error.message;
  if (UNEXPLAINED_CODES.has(error.code)) breaches.push(`unexplained: code ${error.code}`);
  const sentence = sentenceProblem(message);
  if (sentence) breaches.push(`unexplained: ${sentence}`);
  if (NOISE_LINE.test(message)) breaches.push(`unexplained: an application's log line is quoted as the cause: ${message}`);
  const said = deviceReason(view);
  if (said && !message.includes(said)) breaches.push(`unexplained: the device said "${said}" but the message does not quote it`);
  if (view.vanished && !said) {
    const match = /disconnected after (\d+) of (\d+) bytes/.exec(message);
    if (!match) breaches.push('unexplained: the port went away but the message does not say after how many bytes');
    else if (Number(match[2]) !== scenario.imageBytes || Number(match[1]) > Math.min(facts.storedBytes, scenario.imageBytes)) {
      breaches.push(`unexplained: "${match[0]}" but the image is ${scenario.imageBytes} bytes and the device stored ${facts.storedBytes}`);
    }
    if (facts.spec.image !== 'data' && !/previous firmware/.test(message)) {
      breaches.push('unexplained: a Particle device or Core that went away keeps its previous firmware, and the message does not say so');
    }
  }
  const toldToAbort = framing.cans >= 2 && !framing.problem;
  // A device that reset (its receiver restarted) or broke off itself has nothing left to abort.
  const receiverGone = view.vanished || view.resets > 0 || view.deviceCancelledFirst();
  if (framing.frames > 0 && !receiverGone && !toldToAbort) {
    breaches.push('unexplained: the device was still there but was not told to abort (CAN CAN at a block boundary)');
  }
  return breaches;
}

function portBreaches({ view, spec }: RunFacts): string[] {
  const breaches: string[] = [];
  if (view.lineCodings.includes(DFU_BAUD_RATE)) breaches.push('port: 14400 baud was set (sends Particle devices to DFU)');
  if (view.vanished) return breaches;
  if (view.hostCloses === 0) breaches.push('port: left open');
  const last = view.lineCodings.at(-1);
  const particleFamily = spec.image !== 'data';
  if (particleFamily && view.lineCodings.length > 1 && last !== SAFE_BAUD_RATE) breaches.push(`port: left at ${last} baud, not ${SAFE_BAUD_RATE}`);
  if (!particleFamily && view.lineCodings.some((rate) => rate !== OPEN_BAUD_RATE)) breaches.push(`port: the rate changed (${view.lineCodings.join(', ')})`);
  return breaches;
}

/** Why `message` is not one sentence, if it is not. Quoted device text may hold its own punctuation. */
export function sentenceProblem(message: string): string | undefined {
  if (!message.trim()) return 'empty message';
  if (/\n/.test(message)) return `more than one line: ${JSON.stringify(message)}`;
  if (/\bat .+:\d+:\d+\)?$/m.test(message) || /Error: /.test(message)) return `looks like a stack trace: ${message}`;
  const unquoted = message.replace(/"[^"]*"/g, '""');
  if (!/[.]$/.test(unquoted)) return `does not end with a full stop: ${message}`;
  if (/[.!?] +[A-Z]/.test(unquoted.replace(/\b(e\.g|i\.e|etc)\./g, ''))) return `more than one sentence: ${message}`;
  return undefined;
}

/** The first line the device printed after breaking the transfer off with CAN CAN, if it did. */
export function deviceReason(view: DeviceView): string | undefined {
  if (!view.deviceCancelledFirst()) return undefined;
  const bytes = view.deviceBytes();
  const at = bytes.indexOf(Buffer.of(CAN, CAN));
  const after = bytes.subarray(at).toString('latin1').replace(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\xff]/g, '');
  return after
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !NOISE_LINE.test(line));
}
