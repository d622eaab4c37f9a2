/**
 * Talking to a device's text console before and after a transfer: read until a line or
 * pattern shows up, collecting everything as device text. Waits on data events (ByteReader),
 * never polls.
 */
import { ByteReader, TIMED_OUT } from '../protocol/byte-reader.js';
import { DeviceTextCollector } from '../protocol/device-text.js';

/** Consoles whose text gives them away, and the target that types their receive command. */
const KNOWN_CONSOLES: readonly { name: string; target: string; text: RegExp }[] = [
  { name: 'U-Boot', target: 'uboot', text: /(?:^|\n)\s*(?:=>|U-Boot>) ?(?:\n|$)|U-Boot \d{4}\.\d{2}|Hit any key to stop autoboot/ },
];

/** The console the device's text looks like, if it is one we know (a `=>` prompt: U-Boot). */
export function recognizeConsole(text: string): { name: string; target: string } | undefined {
  return KNOWN_CONSOLES.find((console) => console.text.test(text));
}

/** How much recent text a pattern is matched against. */
const MATCH_WINDOW_CHARS = 1024;

export interface ConsoleSession {
  reader: ByteReader;
  write(data: string | Buffer): Promise<void>;
  signal?: AbortSignal;
  /** Each complete line the device printed. */
  onText(text: string): void;
  /**
   * Multiplies every console wait (1 for real devices): a virtual device running at a
   * fraction of real time answers that much sooner, and so does its silence end.
   */
  timeScale?: number;
}

/** A console wait as this session runs it. */
function scaled(session: ConsoleSession, ms: number): number {
  return ms * (session.timeScale ?? 1);
}

export interface WaitResult {
  /** The text that matched, or undefined on timeout. */
  match: RegExpMatchArray | undefined;
  /** Everything read while waiting. */
  text: string;
}

/**
 * Reads until `pattern` matches the text read so far, or `timeoutMs` passes. With
 * `stopAtByte`, stops (without consuming it) at a protocol byte such as `C`, so the
 * sender still sees it.
 */
export async function waitForText(
  session: ConsoleSession,
  pattern: RegExp,
  timeoutMs: number,
  options: { stopAt?: (byte: number, textSoFar: string) => boolean } = {},
): Promise<WaitResult> {
  const lines = new DeviceTextCollector(session.onText);
  const deadline = performance.now() + scaled(session, timeoutMs);
  let text = '';
  // Past the deadline, what had already arrived is still read: a stall of this process must
  // not turn text that came in time into a timeout. Nothing later is: a console that never
  // stops printing cannot stretch the wait.
  let arrivedInTime: number | undefined;
  try {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) arrivedInTime ??= session.reader.available;
      if (arrivedInTime !== undefined && arrivedInTime-- <= 0) return { match: undefined, text };
      const byte = await session.reader.next(Math.max(left, 0), session.signal);
      if (byte === TIMED_OUT) return { match: undefined, text };
      if (options.stopAt?.(byte, text)) {
        session.reader.unread(Buffer.of(byte));
        return { match: undefined, text };
      }
      text += String.fromCharCode(byte);
      lines.add(byte);
      // Prompts are short: matching the tail keeps a chatty application from costing O(n²).
      const match = text.slice(-MATCH_WINDOW_CHARS).match(pattern);
      if (match) return { match, text };
    }
  } finally {
    lines.flush();
  }
}

/** Reads and reports whatever arrives until the line has been quiet for `quietMs` (at most `maxMs`). */
export async function drainUntilQuiet(session: ConsoleSession, quietMs: number, maxMs: number): Promise<string> {
  const lines = new DeviceTextCollector(session.onText);
  const deadline = performance.now() + scaled(session, maxMs);
  let text = '';
  try {
    while (performance.now() < deadline) {
      const byte = await session.reader.next(Math.min(scaled(session, quietMs), deadline - performance.now()), session.signal);
      if (byte === TIMED_OUT) break;
      text += String.fromCharCode(byte);
      lines.add(byte);
    }
  } finally {
    lines.flush();
  }
  return text;
}
