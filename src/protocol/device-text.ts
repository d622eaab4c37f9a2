/**
 * Collects the text a receiver prints between protocol bytes (banners, application logs,
 * its reasons for failing) and hands it on line by line, so that failures can quote the
 * device's own words instead of "expected ACK, got 'S'".
 */

/** How much recent text to keep for error messages. */
const RECENT_TEXT_LIMIT = 4096;
/** A line longer than this is handed on anyway (binary noise has no line breaks). */
const MAX_LINE_BYTES = 512;
/**
 * An unfinished "line" of nothing but `C`s is a receiver's requests for CRC mode (U-Boot's
 * `ACK ACK C` after EOT, repeated requests before a transfer), not something it printed.
 */
const REQUESTS_ONLY = /^C+$/;

export class DeviceTextCollector {
  private line: number[] = [];
  private recentText = '';

  constructor(private readonly onLine: (text: string) => void) {}

  add(byte: number): void {
    if (byte === 0x0a) {
      this.handOn(false);
      return;
    }
    if (byte === 0x0d) return;
    this.line.push(byte);
    if (this.line.length >= MAX_LINE_BYTES) this.handOn(false);
  }

  /** Hands on a partial line, unless it is only protocol requests. */
  flush(): void {
    this.handOn(true);
  }

  private handOn(partial: boolean): void {
    if (this.line.length === 0) return;
    const text = readable(Buffer.from(this.line));
    this.line = [];
    if (!text.trim() || (partial && REQUESTS_ONLY.test(text))) return;
    this.recentText = (this.recentText + text + '\n').slice(-RECENT_TEXT_LIMIT);
    this.onLine(text);
  }

  /** Whether the next byte begins a line. */
  get atLineStart(): boolean {
    return this.line.length === 0;
  }

  /** Complete lines received so far (the latest RECENT_TEXT_LIMIT characters). */
  get recent(): string {
    return this.recentText;
  }
}

/**
 * A line as text fit for a terminal and a message: control characters (C0, DEL and C1, which
 * terminals act on) dropped; a line that is mostly bytes that are not text (a Telnet server's
 * negotiation, a wrong baud rate) is summed up instead of shown as replacement characters.
 */
function readable(bytes: Buffer): string {
  const decoded = bytes.toString('utf8').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
  const unreadable = decoded.match(/\uFFFD/g)?.length ?? 0;
  const text = decoded.replace(/\uFFFD/g, '');
  if (unreadable === 0) return text;
  return unreadable > text.trim().length ? `(${bytes.length} bytes that are not text)` : text;
}
