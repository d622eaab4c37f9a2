/**
 * One flash, start to end: check the image → choose the port and target → open → enter the
 * receiver → send → read the device's verdict → leave the port harmless. Emits events and
 * never prints; every failure is a typed error.
 */
import type { BindingInterface } from '@serialport/bindings-cpp';
import { chooseTarget, recognise, type TargetChoice } from '../devices/registry.js';
import type { DeviceProfile, DeviceSession, TargetRequest } from '../devices/profile.js';
import { asSerialFlashError, imageRefusedError, InputError, PortError } from '../errors.js';
import { formatAddress } from '../image/address.js';
import { forcedWarning, openFirmwareFile, type FirmwareFile, type ImageRefusal } from '../image/firmware-file.js';
import type { BlockSize } from '../protocol/blocks.js';
import { DEFAULT_TIMING, FileSender, type ReceiverDialect, type SenderEvent, type SenderOptions } from '../protocol/file-sender.js';
import { PROTOCOL_NAMES, PROTOCOLS, type ProtocolName } from '../protocol/protocols.js';
import { recognizeConsole } from '../devices/console.js';
import type { Connection } from '../transport/connection.js';
import { checkPortName, transportOf, waitForPort } from '../transport/open.js';
import { definedOnly } from '../util/defined.js';
import { sleep } from '../util/sleep.js';
import { describePort, findOnlyDevice, usbOf } from './discover.js';
import { type SessionOptions, withDeviceSession } from './session.js';
import type { FlashEvent, FlashPlan, FlashResult } from './events.js';
import { validateFlashOptions } from './validate.js';
import { verifyAfterRestart } from './verify.js';

export interface FlashOptions {
  file: string;
  /** A serial path, `COM3`, `tcp://host:port` or `rfc2217://host:port`; omitted: the only recognised device. */
  port?: string;
  /** 'auto' (default) or a target name. */
  target?: string;
  address?: number;
  trigger?: string;
  baudRate?: number;
  /** YMODEM unless told otherwise; XMODEM for boot ROMs and U-Boot's loadx. */
  protocol?: ProtocolName;
  /** The protocol's own by default (XMODEM 128, the others 1024). */
  blockSize?: BlockSize;
  retries?: number;
  /** What the user knows of the receiver beyond its target's profile (--full-last-block, --start-requests). */
  dialect?: ReceiverDialect;
  responseTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Line rate for the transfer alone, where the receiver can switch to it (--transfer-baud). */
  transferBaud?: number;
  /** Send even what the checks refuse. */
  force?: boolean;
  /** Check and plan, send nothing. */
  dryRun?: boolean;
  /**
   * Confirming the image. Unset: where the device can be asked at no cost (U-Boot's crc32).
   * True: also after a restart (wait for the device, ask what it installed), refused where
   * impossible. False: never (--no-verify).
   */
  verify?: boolean;
  /** Wait this long for the port to appear (a device plugged in or re-enumerating). */
  waitMs?: number;
  /**
   * Multiplies the waits that depend on the device (the target's dialect, console prompts,
   * closing text and the sender's defaults): 1 for real hardware; a virtual device running at
   * a fraction of real time (the emulator's timeScale) gets the same fraction. Timeouts given
   * explicitly (responseTimeoutMs, startTimeoutMs) are used as given.
   */
  timeScale?: number;
  /** Emit `trace` events with every byte exchanged. */
  trace?: boolean;
  /** The serialport binding to use (virtual devices); the native one by default. */
  binding?: BindingInterface;
  signal?: AbortSignal;
  onEvent?: (event: FlashEvent) => void;
}

export type FlashOutcome = FlashResult | { ok: true; dryRun: true; plan: FlashPlan };

export const DEFAULT_BAUD_RATE = 115_200;
/** Start bit, 8 data bits, stop bit. */
const BITS_PER_BYTE = 10;

export async function flash(options: FlashOptions): Promise<FlashOutcome> {
  validateFlashOptions(options);
  const emit = options.onEvent ?? (() => undefined);
  const image = await openFirmwareFile(options.file);
  try {
    const prepared = await prepare(options, image);
    emit({ type: 'plan', plan: prepared.plan });
    if (options.dryRun) return { ok: true, dryRun: true, plan: prepared.plan };
    return await execute(options, image, prepared, emit);
  } finally {
    await image.close();
  }
}

interface Prepared {
  plan: FlashPlan;
  choice: TargetChoice;
  request: TargetRequest;
}

/** Everything that can be decided without touching the device; throws InputError on refusal. */
async function prepare(options: FlashOptions, image: FirmwareFile): Promise<Prepared> {
  const baudRate = options.baudRate ?? DEFAULT_BAUD_RATE;
  let port = options.port;
  let portReason = 'as given';
  if (port === undefined) {
    const only = await findOnlyDevice(options.binding);
    port = only.path;
    portReason = `the only ${only.device!.name} connected`;
  } else {
    checkPortName(port);
    if (options.waitMs) await waitForPort(port, { timeoutMs: options.waitMs, signal: options.signal, binding: options.binding });
  }
  const described = await describePort(port, options.binding);
  const usb = usbOf(described);
  const choice = await chooseTarget(options.target ?? 'auto', usb, image, options.trigger);
  const protocol = chooseProtocol(options.protocol, choice.profile);
  const request: TargetRequest = {
    address: options.address,
    trigger: options.trigger,
    platform: choice.platform,
    portNamesDevice: recognise(usb) !== undefined,
    force: options.force,
    protocol,
    verify: options.verify,
    transferBaud: options.transferBaud,
  };
  if (options.transferBaud !== undefined && !choice.profile.switchesBaud) {
    throw new InputError('TRANSFER_BAUD_UNSUPPORTED', `--transfer-baud needs a receiver that can change its rate, and the ${choice.profile.name} target cannot; leave it out.`);
  }
  const check = await choice.profile.checkImage(image, request);
  if (check.refusals.length > 0 && !options.force) throw imageRefusedError(check.refusals);
  const forced = check.refusals.length > 0 ? check.refusals : undefined;
  const blockSize = options.blockSize ?? PROTOCOLS[protocol].blockSize;
  const capabilities = await transportOf(port).capabilities(port, options.binding);
  if (options.verify && !choice.profile.verify) {
    const why = choice.profile.verifyInstalled ? choice.profile.cannotVerify?.(capabilities) : `the ${choice.profile.name} target cannot be asked what it runs`;
    if (why) throw new InputError('VERIFY_UNSUPPORTED', `--verify is not possible here: ${why}; flash without --verify.`);
  }
  const plan: FlashPlan = {
    port,
    portReason,
    target: choice.profile.name,
    targetReason: choice.reason,
    device: choice.platform?.name,
    file: image.path,
    bytes: image.size,
    protocol,
    blockSize,
    blocks: Math.ceil(image.size / blockSize),
    address: check.destination ?? options.address,
    addressReason: addressReason(options.address, check.destination, check.destinationReason),
    image: check.description,
    entry: choice.profile.describeEntry(request, capabilities),
    baudRate: capabilities.lineRate ? baudRate : undefined,
    ...(forced ? { forced } : {}),
  };
  return { plan, choice, request };
}

async function execute(options: FlashOptions, image: FirmwareFile, prepared: Prepared, emit: (e: FlashEvent) => void): Promise<FlashResult> {
  const { plan, choice, request } = prepared;
  const { profile } = choice;
  const started = performance.now();
  const timeScale = options.timeScale ?? 1;
  if (plan.forced) emit({ type: 'warning', message: forcedWarning(image.name, 'the checks refused it', plan.forced) });
  const sessionOptions: SessionOptions = {
    port: plan.port,
    baudRate: options.baudRate ?? DEFAULT_BAUD_RATE,
    dtr: profile.assertDtr,
    binding: options.binding,
    signal: options.signal,
    trace: options.trace,
    timeScale,
    emit,
    release: (session) => profile.release(session),
  };
  // What --force overrode: the image checks' refusals, then any from the device's own answer.
  const forcedIn = (session: DeviceSession): ImageRefusal[] => [...(plan.forced ?? []), ...session.forced];
  const attempt = (): Promise<FlashResult> => withDeviceSession(sessionOptions, async (session): Promise<FlashResult> => {
    try {
      const learned = (await profile.enterReceiver(session, request, image)) ?? {};
      emit({ type: 'start', totalBytes: image.size });
      let transferStarted: number | undefined;
      const waiting = new ReceiverWaitNotice(profile.receiverWait?.(request), emit, RECEIVER_WAIT_NOTICE_MS * timeScale);
      const sender = new FileSender(session.connection.stream, {
        ...senderOptions(options, request, session.connection, profile.senderOptions(request), timeScale),
        ...scaleDeviceWaits(learned, timeScale),
        reader: session.reader,
        signal: options.signal,
        onEvent: (event) => {
          waiting.onEvent(event);
          // The transfer is timed from the receiver's request: a receiver that takes 10 s to ask
          // (rb) must not show in the line's rate.
          if (event.type === 'receiver-ready') transferStarted ??= performance.now();
          if (event.type === 'progress') emit({ type: 'progress', bytes: event.bytesAcknowledged, totalBytes: event.totalBytes, block: event.block });
          else if (event.type === 'retry' || event.type === 'device-text' || event.type === 'phase') emit(event);
        },
      });
      const sending = performance.now();
      const result = await sender.send(image).finally(() => waiting.stop());
      const transferSeconds = (performance.now() - (transferStarted ?? sending)) / 1000;
      const deviceSummary = await profile.finish(session, result);
      const verified = request.verify !== false ? await profile.verify?.(session, request, image, result) : undefined;
      const forced = forcedIn(session);
      return {
        ok: true,
        port: plan.port,
        target: profile.name,
        address: plan.address,
        bytes: result.bytes,
        seconds: (performance.now() - started) / 1000,
        transferSeconds,
        retries: result.retries,
        deviceSummary,
        verified,
        ...(forced.length > 0 ? { forced } : {}),
      };
    } catch (error) {
      const failure = asSerialFlashError(error);
      // Failures before the sender started (entering the receiver) still say how much was at stake.
      failure.context.totalBytes ??= image.size;
      failure.context.bytesAcknowledged ??= 0;
      const forced = forcedIn(session);
      if (forced.length > 0) failure.context.forced ??= forced;
      throw await profile.explain(failure, session);
    }
  });
  // --wait also waits out a port that is in use (another client on a bridge, another program).
  const deadline = performance.now() + (options.waitMs ?? 0);
  let result: FlashResult;
  for (let tries = 1; ; tries++) {
    try {
      result = await attempt();
      break;
    } catch (error) {
      if (!(error instanceof PortError && error.code === 'PORT_BUSY') || performance.now() >= deadline || options.signal?.aborted) throw error;
      if (tries === 1) emit({ type: 'step', message: `${plan.port} is in use or restarting; trying again until --wait runs out` });
      await sleep(BUSY_RETRY_MS, options.signal);
    }
  }
  if (!options.verify || !profile.verifyInstalled) return result;
  const verified = await verifyAfterRestart(profile, image, { ...sessionOptions, emit });
  emit({ type: 'step', message: `verified: ${verified.installed} (${verified.seconds.toFixed(1)} s after the transfer)` });
  return { ...result, verified };
}

/**
 * Why the plan's address: the image's own, or the target's where it installs every image at
 * one place whatever the image says (the Spark Core); a --address it overrides is set aside.
 */
function addressReason(given: number | undefined, destination: number | undefined, targetReason: string | undefined): string | undefined {
  if (given === undefined) return destination === undefined ? undefined : (targetReason ?? "the image's own");
  if (destination === undefined || destination === given) return 'as given with --address';
  return `${targetReason ?? "the image's own: the device installs it where the image says"}, so --address ${formatAddress(given)} is not used`;
}

/** The protocol asked for, or the target's own; refused before the port is opened when the target's receiver does not take it. */
function chooseProtocol(requested: ProtocolName | undefined, profile: DeviceProfile): ProtocolName {
  const supported = profile.protocols ?? PROTOCOL_NAMES;
  const protocol = requested ?? supported[0]!;
  if (!supported.includes(protocol)) {
    const takes = supported.map((name) => PROTOCOLS[name].label).join(' or ');
    throw new InputError('PROTOCOL_UNSUPPORTED', `The ${profile.name} target takes ${takes} only, not ${PROTOCOLS[protocol].label}; leave out --protocol.`);
  }
  return protocol;
}

/** Silence from the receiver this long after the start is worth a word (a receiver asks within a second or two). */
const RECEIVER_WAIT_NOTICE_MS = 5_000;

/**
 * While the sender waits for the receiver's first request: after a few seconds of nothing, a
 * step saying what is awaited and what to check — naming the console when the device's text
 * gives one away (a U-Boot `=>` prompt when -t uboot was forgotten).
 */
class ReceiverWaitNotice {
  private readonly timer: NodeJS.Timeout;
  private text = '';

  constructor(receiverWait: string | undefined, emit: (event: FlashEvent) => void, afterMs: number) {
    this.timer = setTimeout(() => {
      const known = recognizeConsole(this.text);
      const waited = `no request from the receiver after ${Math.round(afterMs / 1000)} s`;
      const hint = known ? `the device's text looks like ${known.name}'s console: add -t ${known.target}` : receiverWait;
      emit({ type: 'step', message: hint ? `${waited}; ${hint}` : `${waited}, still waiting` });
    }, afterMs);
    this.timer.unref();
  }

  onEvent(event: SenderEvent): void {
    if (event.type === 'device-text') this.text += `${event.text}\n`;
    if (event.type === 'receiver-ready' || event.type === 'progress') this.stop();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** How often --wait tries a busy port again: well under a device's restart, few connections. */
const BUSY_RETRY_MS = 500;

/** The sender's waits that last as long as the device takes; line timing is not among them. */
const DEVICE_WAITS = ['startTimeoutMs', 'responseTimeoutMs', 'headerAckTimeoutMs', 'finalAckTimeoutMs', 'eotGraceMs'] as const;

function scaleDeviceWaits(options: SenderOptions, timeScale: number): SenderOptions {
  if (timeScale === 1) return options;
  const scaled: SenderOptions = { ...options };
  for (const key of DEVICE_WAITS) if (scaled[key] !== undefined) scaled[key] = scaled[key]! * timeScale;
  return scaled;
}

function senderOptions(options: FlashOptions, request: TargetRequest, connection: Connection, device: SenderOptions, timeScale: number): SenderOptions {
  const defaults: SenderOptions = Object.fromEntries(DEVICE_WAITS.map((key) => [key, DEFAULT_TIMING[key]]));
  const user: SenderOptions = {
    protocol: request.protocol,
    blockSize: options.blockSize,
    retries: options.retries,
    responseTimeoutMs: options.responseTimeoutMs,
    startTimeoutMs: options.startTimeoutMs,
    msPerByte: connection.baudRate ? (BITS_PER_BYTE * 1000) / connection.baudRate : 0,
  };
  // Defaults, then what the user said, then what the device's dialect needs.
  const merged: SenderOptions = {
    ...scaleDeviceWaits(defaults, timeScale),
    ...definedOnly(user),
    ...scaleDeviceWaits(definedOnly(device), timeScale),
    // What the user says of the receiver refines what its profile knows.
    dialect: { ...device.dialect, ...definedOnly(options.dialect ?? {}) },
  };
  // A longer --timeout also stretches the waits a device's dialect set, never shortens them.
  if (options.responseTimeoutMs !== undefined) {
    for (const key of ['headerAckTimeoutMs', 'finalAckTimeoutMs'] as const) {
      merged[key] = Math.max(merged[key] ?? 0, options.responseTimeoutMs);
    }
  }
  return merged;
}
