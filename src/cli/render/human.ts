/**
 * Renders flash events for people: a progress bar on a terminal, plain periodic lines when
 * the output is a file or a pipe, only the result with --quiet.
 */
import type { Writable } from 'node:stream';
import type { SingleBar } from 'cli-progress';
import type { FlashEvent, FlashPlan, FlashResult } from '../../flash/events.js';
import { formatAddress } from '../../image/address.js';
import { refusalFinding } from '../../image/firmware-file.js';
import { DEFAULT_PROTOCOL, PROTOCOLS, type ProtocolName } from '../../protocol/protocols.js';
import { type Style, paint } from '../color.js';
import { countBytes, formatBytes, formatRate, formatSeconds, plainProgress } from './format.js';

export interface HumanRendererOptions {
  out: Writable & { isTTY?: boolean };
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  /** Plain lines even on a terminal (a bar would fight with --trace lines). */
  plain?: boolean;
  /**
   * Where warnings go (stderr on a terminal), even with --quiet: a check --force overrode must
   * not pass unnoticed in a script that hides the progress. The renderer's own stream when absent.
   */
  warnings?: Writable;
}


export class HumanRenderer {
  private bar: SingleBar | undefined;
  private barModule: typeof import('cli-progress') | undefined;
  private startedAt = 0;
  private readonly lastPlainLine = { at: 0 };
  private retries = 0;
  /** The protocol the plan chose: named in the success line when it is not YMODEM. */
  private protocol: ProtocolName = DEFAULT_PROTOCOL;

  constructor(private readonly options: HumanRendererOptions) {}

  /** cli-progress is loaded only when a transfer actually starts (keeps --help fast). */
  async prepare(): Promise<void> {
    if (this.options.out.isTTY && !this.options.quiet && !this.options.plain) this.barModule = (await import('cli-progress')).default;
  }

  onEvent = (event: FlashEvent): void => {
    if (event.type === 'plan') this.protocol = event.plan.protocol;
    if (event.type === 'warning') return this.warn(event.message);
    if (this.options.quiet) return;
    switch (event.type) {
      case 'plan':
        if (this.options.verbose) this.line(describePlan(event.plan));
        break;
      case 'open':
        if (this.options.verbose) this.line(this.paint('dim', `opened ${event.port}`));
        break;
      case 'step':
        this.line(this.paint('dim', `· ${event.message}`));
        break;
      case 'device-text':
        this.line(`${this.paint('cyan', 'device:')} ${event.text}`);
        break;
      case 'start':
        this.startedAt = performance.now();
        this.startBar(event.totalBytes);
        break;
      case 'progress':
        this.progress(event.bytes, event.totalBytes);
        break;
      case 'retry':
        this.retries++;
        if (this.options.verbose) this.line(this.paint('yellow', `retry: block ${event.block} (${event.reason}), attempt ${event.attempt}`));
        break;
      case 'phase':
      case 'trace':
        break;
    }
  };

  success(result: FlashResult): void {
    this.stopBar();
    const at = result.address !== undefined ? ` at ${formatAddress(result.address)}` : '';
    const retries = result.retries ? `, ${result.retries} retr${result.retries === 1 ? 'y' : 'ies'}` : '';
    const protocol = this.protocol === DEFAULT_PROTOCOL ? '' : `, ${PROTOCOLS[this.protocol].label}`;
    this.line(`${this.paint('green', '✔')} Flashed ${countBytes(result.bytes)} to ${result.port}${at} (${result.target}${protocol}).`);
    // Two figures, named: the line's speed (what the bar showed) and the whole run, which
    // includes entering the receiver and waiting for the device's verdict.
    this.line(`  ${describeTiming(result)}${retries}.`);
    if (result.forced) this.line(`  ${this.paint('yellow', 'forced:')} sent although the checks refused it (--force): ${result.forced.map(refusalFinding).join('; ')}`);
    if (result.deviceSummary && !this.options.quiet) this.line(`  device: ${result.deviceSummary}`);
    if (result.verified && 'installed' in result.verified) {
      this.line(`${this.paint('green', '✔')} Verified after the restart: ${result.verified.installed} (${formatSeconds(result.verified.seconds)} more).`);
    } else if (result.verified && !this.options.quiet) {
      this.line(`  verified: the device's "${result.verified.command}" gives ${result.verified.crc32}, the file's CRC-32`);
    }
  }

  dryRun(plan: FlashPlan): void {
    this.line(describePlan(plan));
    this.line(plan.forced ? 'Dry run: checks passed except what --force overrode (Forced above); nothing was sent.' : 'Dry run: all checks passed; nothing was sent.');
  }

  /** Leaves the terminal tidy before an error message. */
  stop(): void {
    this.stopBar();
  }

  private startBar(total: number): void {
    if (!this.barModule) return;
    const { SingleBar, Presets } = this.barModule;
    const { format, barsize } = barLayout(total, (this.options.out as { columns?: number }).columns ?? DEFAULT_COLUMNS);
    this.bar = new SingleBar(
      {
        format,
        barsize,
        stream: this.options.out,
        hideCursor: true,
        fps: 10,
        // The line printed above the bar erased it; redraw even when its text is unchanged.
        forceRedraw: true,
      },
      Presets.shades_classic,
    );
    this.bar.start(total, 0, { done: formatBytes(0), all: formatBytes(total), speed: '…', remaining: '…' });
  }

  private progress(bytes: number, total: number): void {
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 && bytes > 0 ? bytes / elapsed : undefined;
    const speed = rate ? formatRate(rate) : '…';
    if (this.bar) {
      // No estimate before the first acknowledged block (cli-progress would say "ETA 0s").
      const remaining = rate ? formatEta((total - bytes) / rate) : '…';
      this.bar.update(bytes, { done: formatBytes(bytes), speed, remaining });
      return;
    }
    const line = plainProgress(bytes, total, this.lastPlainLine);
    if (line) this.line(`${line}, ${speed}`);
  }

  private stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private line(text: string): void {
    if (this.bar) {
      // Print above the bar: clear its line, write, and let it redraw. The bar restores the
      // cursor it saved at start when it stops, so save it again on the bar's new line (ESC 7).
      this.options.out.write(`\r\x1b[K${text}\n\x1b7`);
      this.bar.render();
    } else {
      this.options.out.write(`${text}\n`);
    }
  }

  private warn(message: string): void {
    const text = `serial-flash: warning: ${message}`;
    if (this.options.warnings) this.options.warnings.write(`${text}\n`);
    else this.line(text);
  }

  private paint(style: Style, text: string): string {
    return paint(this.options.color, style, text);
  }
}

/** "transfer 0.03 s at 138.1 KiB/s; 2.85 s in all" */
export function describeTiming(result: Pick<FlashResult, 'bytes' | 'seconds' | 'transferSeconds'>): string {
  const rate = result.transferSeconds > 0 ? ` at ${formatRate(result.bytes / result.transferSeconds)}` : '';
  return `transfer ${formatSeconds(result.transferSeconds)}${rate}; ${formatSeconds(result.seconds)} in all`;
}

/** Without a known width, the classic terminal's. */
const DEFAULT_COLUMNS = 80;
/** A bar narrower than this says little; drop figures from the line instead. */
const MIN_BAR = 10;
const MAX_BAR = 40;

/**
 * The bar's line for a terminal `columns` wide: every figure when they fit beside a useful
 * bar, else fewer (ETA, then speed), so that the line is never cut by the terminal's edge.
 */
export function barLayout(total: number, columns: number): { format: string; barsize: number } {
  const all = formatBytes(total);
  const tails: [format: string, widest: string][] = [
    [' {percentage}% | {done}/{all} | {speed} | ETA {remaining}', ` 100% | ${all}/${all} | 1023.9 KiB/s | ETA 59m59s`],
    [' {percentage}% | {done}/{all} | {speed}', ` 100% | ${all}/${all} | 1023.9 KiB/s`],
    [' {percentage}% | {done}/{all}', ` 100% | ${all}/${all}`],
    [' {percentage}%', ' 100%'],
  ];
  // One column of margin: writing the last column makes some terminals wrap.
  const room = (widest: string) => columns - 1 - 1 - widest.length;
  const [tail, widest] = tails.find(([, text]) => room(text) >= MIN_BAR) ?? tails.at(-1)!;
  return { format: ` {bar}${tail}`, barsize: Math.max(1, Math.min(MAX_BAR, room(widest))) };
}

/** "12s", "3m05s". */
export function formatEta(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  return whole < 60 ? `${whole}s` : `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

export function describePlan(plan: FlashPlan): string {
  const lines = [
    `Port:    ${plan.port} (${plan.portReason})${plan.baudRate ? `, ${plan.baudRate} baud` : ''}`,
    `Target:  ${plan.target}${plan.device ? ` — ${plan.device}` : ''} (${plan.targetReason})`,
    `File:    ${plan.file}, ${countBytes(plan.bytes)}${plan.image ? ` — ${plan.image}` : ''}`,
    `Address: ${plan.address !== undefined ? formatAddress(plan.address) : 'decided by the receiver'}${plan.addressReason ? ` (${plan.addressReason})` : ''}`,
    `Blocks:  ${plan.blocks} × ${plan.blockSize} bytes, ${PROTOCOLS[plan.protocol].label}`,
    `Entry:   ${plan.entry}`,
    ...(plan.forced ?? []).map((refusal) => `Forced:  ${refusalFinding(refusal)}; sent anyway (--force)`),
  ];
  return lines.join('\n');
}
