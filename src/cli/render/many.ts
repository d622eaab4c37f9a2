/**
 * Several devices at once: a progress line per device (one bar each on a terminal, periodic
 * plain lines otherwise), each device's verdict as it comes, then a table of all of them.
 * With --json every line names its port and the last line sums up every device.
 */
import type { MultiBar, SingleBar } from 'cli-progress';
import type { FlashEvent } from '../../flash/events.js';
import type { DeviceOutcome, FlashManyResult } from '../../flash/flash-many.js';
import { formatAddress } from '../../image/address.js';
import { paint } from '../color.js';
import type { RunReport } from '../report.js';
import { countBytes, formatBytes, formatSeconds, formatTable, plainProgress } from './format.js';
import { HumanRenderer } from './human.js';
import { FlashJsonRenderer } from './flash-json.js';
import { errorFields } from './json.js';
import { TraceFormatter } from './trace.js';

/** Narrower bars than one device gets, so the port and a status fit on an 80-column line. */
const BAR_WIDTH = 20;
/** Room for a step's text beside a bar. */
const STATUS_WIDTH = 40;

interface DeviceView {
  port: string;
  device?: string;
  bar?: SingleBar;
  lastPlainLine: { at: number };
  trace: TraceFormatter;
  json?: FlashJsonRenderer;
  log?: HumanRenderer;
}

export class ManyView {
  private readonly devices = new Map<string, DeviceView>();
  private bars: MultiBar | undefined;
  private readonly width: number;

  constructor(
    private readonly report: RunReport,
    private readonly options: { quiet: boolean; verbose: boolean },
    ports: readonly string[],
  ) {
    this.width = Math.max(...ports.map((port) => port.length));
    for (const port of ports) {
      const logStream = report.logStream(`${port}: `);
      this.devices.set(port, {
        port,
        lastPlainLine: { at: -Infinity },
        trace: new TraceFormatter(),
        json: report.json ? new FlashJsonRenderer(report.json, { port }) : undefined,
        log: logStream ? new HumanRenderer({ out: logStream, quiet: false, verbose: true, color: false }) : undefined,
      });
    }
  }

  /** Bars only on a terminal, and not with --trace lines scrolling past. */
  async prepare(): Promise<void> {
    const out = this.report.humanOut;
    if (!out.isTTY || this.options.quiet || this.report.tracing) return;
    const { MultiBar, Presets } = (await import('cli-progress')).default;
    this.bars = new MultiBar(
      { format: ' {port} {bar} {percentage}% | {status}', stream: out, hideCursor: true, fps: 10, clearOnComplete: false, barsize: BAR_WIDTH },
      Presets.shades_classic,
    );
    for (const view of this.devices.values()) view.bar = this.bars.create(1, 0, { port: view.port.padEnd(this.width), status: 'waiting' });
  }

  onEvent = (port: string, event: FlashEvent): void => {
    const view = this.devices.get(port)!;
    if (event.type === 'trace') {
      this.report.traceLine(event.direction, view.trace.describe(event.direction, event.data), port);
      if (this.report.tracing) view.json?.onEvent(event);
      return;
    }
    view.json?.onEvent(event);
    view.log?.onEvent(event);
    if (event.type === 'plan') view.device = event.plan.device ?? event.plan.target;
    if (event.type === 'warning') this.report.warningOut.write(`serial-flash: ${port}: warning: ${event.message}\n`);
    if (this.options.quiet) return;
    switch (event.type) {
      case 'step':
        if (view.bar) view.bar.update({ status: fit(withoutPort(event.message, port)) });
        else this.line(`${this.label(port)} · ${withoutPort(event.message, port)}`);
        break;
      case 'start':
        view.bar?.setTotal(event.totalBytes);
        view.bar?.update(0, { status: 'sending' });
        break;
      case 'progress':
        this.progress(view, event.bytes, event.totalBytes);
        break;
      case 'device-text':
        if (this.options.verbose) this.line(`${this.label(port)} device: ${event.text}`);
        break;
      case 'retry':
        if (this.options.verbose) this.line(`${this.label(port)} retry: block ${event.block} (${event.reason}), attempt ${event.attempt}`);
        break;
      default:
        break;
    }
  };

  /** One device is done: its verdict now, while the others go on. */
  deviceDone(outcome: DeviceOutcome, exitCode: number): void {
    const view = this.devices.get(outcome.port)!;
    for (const direction of ['tx', 'rx'] as const) this.report.traceLine(direction, view.trace.flush(direction), outcome.port);
    if (outcome.ok) {
      if ('dryRun' in outcome.outcome) view.json?.dryRun(outcome.outcome.plan);
      else view.json?.success(outcome.outcome);
    } else {
      view.json?.failure(outcome.error, exitCode);
    }
    const verdict = describeVerdict(outcome, exitCode);
    this.report.logText(`${outcome.port}: ${verdict}`);
    if (view.bar) view.bar.update({ status: `${this.mark(outcome.ok)} ${fit(outcome.ok ? `done in ${formatSeconds(outcome.seconds)}` : withoutPort(outcome.error.message, outcome.port))}` });
    else if (!this.options.quiet) this.line(`${this.label(outcome.port)} ${this.mark(outcome.ok)} ${verdict}`);
  }

  /** The table of every device, and the JSON result line. */
  finish(result: FlashManyResult, exitCodes: ReadonlyMap<string, number>, exitCode: number): void {
    this.stop();
    // Short cells, so a row fits 80 columns; each failure's sentence follows the table.
    const rows = result.devices.map((outcome) => [
      outcome.port,
      this.devices.get(outcome.port)?.device ?? '-',
      formatSeconds(outcome.seconds),
      outcome.ok ? 'ok' : `failed (exit ${exitCodes.get(outcome.port)})`,
    ]);
    const reasons = result.devices.flatMap((outcome) => (outcome.ok ? [] : [`${outcome.port}: ${withoutPort(outcome.error.message, outcome.port)}`]));
    this.report.human(formatTable([['PORT', 'DEVICE', 'SECONDS', 'RESULT'], ...rows]) + reasons.map((line) => `${line}\n`).join(''));
    const failed = result.devices.filter((device) => !device.ok);
    const summary = failed.length === 0 ? undefined : `${failed.length} of ${result.devices.length} devices failed: ${failed.map((d) => d.port).join(', ')}.`;
    this.report.json?.result(result.ok, {
      devices: result.devices.map((outcome) => ({
        port: outcome.port,
        device: this.devices.get(outcome.port)?.device,
        ok: outcome.ok,
        seconds: Math.round(outcome.seconds * 1000) / 1000,
        ...(outcome.ok
          ? 'dryRun' in outcome.outcome
            ? { dryRun: true }
            : { bytes: outcome.outcome.bytes, address: outcome.outcome.address }
          : { ...errorFields(outcome.error), exitCode: exitCodes.get(outcome.port) }),
      })),
      ...(summary ? { message: summary, code: 'SOME_DEVICES_FAILED' } : {}),
      exitCode,
    });
    if (summary) this.report.logText(`error (exit ${exitCode}): ${summary}`);
  }

  stop(): void {
    this.bars?.stop();
    this.bars = undefined;
  }

  private progress(view: DeviceView, bytes: number, total: number): void {
    if (view.bar) {
      view.bar.update(bytes, { status: `${formatBytes(bytes)} of ${formatBytes(total)}` });
      return;
    }
    const line = plainProgress(bytes, total, view.lastPlainLine);
    if (line) this.line(`${this.label(view.port)} ${line}`);
  }

  private label(port: string): string {
    return port.padEnd(this.width);
  }

  private mark(ok: boolean): string {
    return ok ? paint(this.report.humanColor, 'green', '✔') : paint(this.report.humanColor, 'red', '✘');
  }

  private line(text: string): void {
    if (this.bars) this.bars.log(`${text}\n`);
    else this.report.humanOut.write(`${text}\n`);
  }
}

/** A step that starts with the port's name, beside a label that already names it: "it …". */
function withoutPort(message: string, port: string): string {
  return message.startsWith(`${port} `) ? `it ${message.slice(port.length + 1)}` : message;
}

/** Short enough to sit beside a bar on one line. */
function fit(text: string): string {
  return text.length <= STATUS_WIDTH ? text : `${text.slice(0, STATUS_WIDTH - 1)}…`;
}

function describeVerdict(outcome: DeviceOutcome, exitCode: number): string {
  if (!outcome.ok) return `failed (exit ${exitCode}): ${withoutPort(outcome.error.message, outcome.port)}`;
  if ('dryRun' in outcome.outcome) return 'dry run: all checks passed; nothing was sent';
  const { bytes, address } = outcome.outcome;
  return `flashed ${countBytes(bytes)}${address !== undefined ? ` at ${formatAddress(address)}` : ''} in ${formatSeconds(outcome.seconds)}`;
}
