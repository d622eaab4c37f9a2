/**
 * Everything one flash shows, wherever it goes: the human renderer on the terminal, the same
 * lines (verbose, plain) in the --log file, JSON lines with --json, and trace lines with
 * --trace or --log. Commands hand it the library's events and the outcome.
 */
import type { FlashEvent, FlashPlan, FlashResult } from '../../flash/events.js';
import type { RunReport } from '../report.js';
import { HumanRenderer } from './human.js';
import { FlashJsonRenderer } from './flash-json.js';
import { TraceFormatter } from './trace.js';

export interface FlashViewOptions {
  quiet: boolean;
  verbose: boolean;
  /** What was asked for, for the JSON result when the flash fails before its plan is made. */
  requested?: { port?: string; target?: string; address?: number };
  /** Where the port and target came from when not typed ("SERIAL_FLASH_PORT=…", ".serial-flashrc in /path: target"). */
  origins?: { port?: string; target?: string };
}

export class FlashView {
  private readonly terminal: HumanRenderer;
  private readonly log: HumanRenderer | undefined;
  private readonly json: FlashJsonRenderer | undefined;
  private readonly trace = new TraceFormatter();

  constructor(
    private readonly report: RunReport,
    private readonly options: FlashViewOptions,
  ) {
    this.terminal = new HumanRenderer({
      out: report.humanOut,
      quiet: options.quiet,
      verbose: options.verbose,
      color: report.humanColor,
      plain: report.tracing,
      warnings: report.warningOut,
    });
    const logStream = report.logStream();
    this.log = logStream ? new HumanRenderer({ out: logStream, quiet: false, verbose: true, color: false }) : undefined;
    this.json = report.json ? new FlashJsonRenderer(report.json, { requested: options.requested }) : undefined;
  }

  async prepare(): Promise<void> {
    await this.terminal.prepare();
  }

  onEvent = (event: FlashEvent): void => {
    if (event.type === 'trace') {
      this.report.traceLine(event.direction, this.trace.describe(event.direction, event.data));
      if (this.report.tracing) this.json?.onEvent(event);
      return;
    }
    if (event.type === 'plan') event = { type: 'plan', plan: this.withOrigins(event.plan) };
    this.terminal.onEvent(event);
    this.log?.onEvent(event);
    this.json?.onEvent(event);
  };

  success(result: FlashResult): void {
    this.flushTrace();
    this.terminal.success(result);
    this.log?.success(result);
    this.json?.success(result);
  }

  dryRun(plan: FlashPlan): void {
    plan = this.withOrigins(plan);
    this.terminal.dryRun(plan);
    this.log?.dryRun(plan);
    this.json?.dryRun(plan);
  }

  /** Before the error message: tidy the terminal and write the JSON result line with what is known. */
  failure(error: unknown, exitCode: number): void {
    this.flushTrace();
    this.terminal.stop();
    this.json?.failure(error, exitCode);
  }

  stop(): void {
    this.terminal.stop();
  }

  /** The library says "as given" and "--target"; name the environment variable or file instead. */
  private withOrigins(plan: FlashPlan): FlashPlan {
    const { port, target } = this.options.origins ?? {};
    return {
      ...plan,
      ...(port ? { portReason: `from ${port}` } : {}),
      ...(target && plan.targetReason === '--target' ? { targetReason: `from ${target}` } : {}),
    };
  }

  private flushTrace(): void {
    for (const direction of ['tx', 'rx'] as const) this.report.traceLine(direction, this.trace.flush(direction));
  }
}
