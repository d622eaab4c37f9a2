/**
 * Application log lines: what firmware prints through its logging library, on the same port
 * as the receiver (Device OS `0000005000 [app] INFO: …`, Zephyr `[00:00:01.234,000] <inf> …`,
 * ESP-IDF `I (1234) tag: …`). They start with a timestamp; a receiver's own words (its reason
 * for cancelling, its banner) do not. Such a line printed by chance just after a receiver
 * cancelled must never be quoted as the receiver's reason.
 */
const TIMESTAMP = String.raw`(?:\[[\d:.,\s]+\]|\d{6,}|\d+[:.]\d+[\d:.,]*|[IWEDV] \(\d+\))`;
const LOG_LINE = new RegExp(`^\\s*${TIMESTAMP}\\s+\\S`);

export function isApplicationLogLine(line: string): boolean {
  return LOG_LINE.test(line);
}
