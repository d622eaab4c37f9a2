/** Flash events as JSON lines (see json.ts for the writer and README.md for the schema). */
import { SerialFlashError } from '../../errors.js';
import type { FlashEvent, FlashPlan, FlashResult } from '../../flash/events.js';
import { type JsonFields, type JsonLines, errorFields, round } from './json.js';
import { type TraceDirection, TraceFormatter } from './trace.js';

/** Progress lines at most this often: enough for a live display, few enough for a log. */
export const JSON_PROGRESS_INTERVAL_MS = 250;

/**
 * One flash as JSON lines. With `port` set (several devices at once) every line names its
 * port and the outcome is a `device-result` line, leaving the one `result` to the caller.
 */
export class FlashJsonRenderer {
  private plan: FlashPlan | undefined;
  private lastProgressAt = -Infinity;
  private acknowledged = 0;
  private totalBytes: number | undefined;
  private readonly trace = new TraceFormatter();

  constructor(
    private readonly lines: JsonLines,
    private readonly options: {
      /** Label every line with this port (several devices at once). */
      port?: string;
      /** What was asked for, reported on a failure before the plan was made. */
      requested?: { port?: string; target?: string; address?: number };
      clock?: () => number;
    } = {},
  ) {}

  onEvent = (event: FlashEvent): void => {
    switch (event.type) {
      case 'plan':
        this.plan = event.plan;
        this.emit('plan', { ...event.plan });
        break;
      case 'open':
        this.emit('open', { port: event.port });
        break;
      case 'step':
        this.emit('step', { message: event.message });
        break;
      case 'warning':
        this.emit('warning', { message: event.message });
        break;
      case 'device-text':
        this.emit('device-text', { text: event.text });
        break;
      case 'start':
        this.totalBytes = event.totalBytes;
        this.emit('start', { totalBytes: event.totalBytes });
        break;
      case 'progress':
        this.progress(event.bytes, event.totalBytes, event.block);
        break;
      case 'retry':
        this.emit('retry', { phase: event.phase, block: event.block, attempt: event.attempt, reason: event.reason });
        break;
      case 'phase':
        this.emit('phase', { phase: event.phase });
        break;
      case 'trace':
        this.traced(event.direction, event.data);
        break;
    }
  };

  success(result: FlashResult): void {
    this.finish(true, {
      port: result.port,
      target: result.target,
      device: this.plan?.device,
      address: result.address,
      bytes: result.bytes,
      retries: result.retries,
      deviceSummary: result.deviceSummary,
      transferSeconds: round(result.transferSeconds),
      transferBytesPerSecond: result.transferSeconds > 0 ? Math.round(result.bytes / result.transferSeconds) : undefined,
      ...(result.verified ? { verified: 'installed' in result.verified ? { installed: result.verified.installed, seconds: round(result.verified.seconds) } : result.verified } : {}),
      ...(result.forced ? { forced: result.forced } : {}),
    });
  }

  dryRun(plan: FlashPlan): void {
    this.finish(true, { dryRun: true, port: plan.port, target: plan.target, device: plan.device, address: plan.address, bytes: 0, totalBytes: plan.bytes, ...(plan.forced ? { forced: plan.forced } : {}) });
  }

  failure(error: unknown, exitCode: number): void {
    const context = error instanceof SerialFlashError ? error.context : {};
    const bytes = typeof context.bytesAcknowledged === 'number' ? context.bytesAcknowledged : this.acknowledged;
    const requested = this.options.requested ?? {};
    const fields = {
      port: this.plan?.port ?? this.options.port ?? requested.port,
      target: this.plan?.target ?? requested.target,
      device: this.plan?.device,
      address: this.plan?.address ?? requested.address,
      bytes,
      totalBytes: this.totalBytes ?? this.plan?.bytes,
      ...(context.forced ? { forced: context.forced } : {}),
    };
    if (this.options.port === undefined) this.lines.failure(error, exitCode, fields);
    else this.lines.event('device-result', { ...fields, ok: false, ...errorFields(error), exitCode });
  }

  private finish(ok: true, fields: JsonFields): void {
    if (this.options.port === undefined) this.lines.result(ok, fields);
    else this.lines.event('device-result', { ...fields, ok });
  }

  private progress(bytes: number, totalBytes: number, block: number): void {
    this.acknowledged = bytes;
    const now = (this.options.clock ?? (() => performance.now()))();
    if (bytes < totalBytes && now - this.lastProgressAt < JSON_PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    this.emit('progress', { bytes, totalBytes, block, percent: Math.floor((bytes / totalBytes) * 100) });
  }

  private traced(direction: TraceDirection, data: Buffer): void {
    const description = this.trace.describe(direction, data);
    this.emit('trace', { direction, hex: data.toString('hex'), ...(description ? { description } : {}) });
  }

  private emit(type: string, fields: JsonFields): void {
    this.lines.event(type, this.options.port === undefined ? fields : { port: this.options.port, ...fields });
  }
}
