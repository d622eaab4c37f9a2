/**
 * One entry point for whatever the user named as the port: `rfc2217://host:port`,
 * `tcp://host:port` or a serial device path (`/dev/ttyACM0`, `/dev/serial/by-id/…`, `COM3`, or
 * a path the given binding knows); the transport registry decides which.
 */
import { promises as fsp, constants as fsConstants } from 'node:fs';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { CancelledError, InputError, PortError } from '../errors.js';
import type { Connection } from './connection.js';
import { listPorts } from './ports.js';
import { sleep } from '../util/sleep.js';
import { portExamples, transportFor, URL_SCHEME_PATTERN, type Transport } from './registry.js';

export interface OpenConnectionOptions {
  baudRate: number;
  dtr?: boolean;
  binding?: BindingInterface;
  signal?: AbortSignal;
  /** TCP only. */
  connectTimeoutMs?: number;
}

export interface WaitForPortOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  binding?: BindingInterface;
}

/**
 * There is no portable "port appeared" event (udev, IOKit and Windows device notifications
 * each need native code), and the wait lasts seconds at most, so polling is cheap and simple.
 * 250 ms is well under the time a re-enumerating USB device takes.
 */
const PORT_POLL_INTERVAL_MS = 250;
/**
 * udev creates the device node first and applies its group and mode a moment later; opening
 * in between fails with "permission denied", so wait this long for access before going ahead.
 */
const UDEV_PERMISSION_GRACE_MS = 1000;

export async function openConnection(spec: string, options: OpenConnectionOptions): Promise<Connection> {
  throwIfAborted(options.signal, spec);
  const connection = await transportOf(spec).open(spec, options);
  if (options.signal?.aborted) {
    await connection.close();
    throwIfAborted(options.signal, spec);
  }
  return connection;
}

/**
 * Resolves once the port exists (for `--wait`: a device that is being plugged in or is
 * re-enumerating after a reset). TCP bridges are always "there"; connecting tells the rest.
 */
export async function waitForPort(spec: string, options: WaitForPortOptions): Promise<void> {
  if (!transportOf(spec).appears) return;
  const { signal, timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  const present = presenceCheck(spec, options.binding);
  for (;;) {
    throwIfAborted(signal, spec);
    if (await present()) break;
    if (Date.now() >= deadline) {
      throw new PortError(
        'PORT_WAIT_TIMEOUT',
        `${spec} did not appear within ${timeoutMs / 1000} s; check the cable and that the device is powered.`,
        { phase: 'open', path: spec },
      );
    }
    await sleep(Math.min(PORT_POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())), signal);
  }
  if (options.binding === undefined && process.platform !== 'win32') await waitForAccess(spec, signal);
}

function presenceCheck(spec: string, binding: BindingInterface | undefined): () => Promise<boolean> {
  // A binding's ports (the virtual device's) and Windows COM ports are not files: ask the list.
  if (binding !== undefined || process.platform === 'win32') {
    return async () => {
      const ports = await listPorts({ binding }).catch(() => []);
      return ports.some((port) => port.path.toLowerCase() === spec.toLowerCase());
    };
  }
  // stat follows symlinks, so a /dev/serial/by-id/… link counts only once its target exists.
  return () => fsp.stat(spec).then(() => true, () => false);
}

async function waitForAccess(path: string, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + UDEV_PERMISSION_GRACE_MS;
  while (Date.now() < deadline) {
    const accessible = await fsp.access(path, fsConstants.R_OK | fsConstants.W_OK).then(() => true, () => false);
    if (accessible) return;
    await sleep(PORT_POLL_INTERVAL_MS, signal);
    throwIfAborted(signal, path);
  }
  // Still not accessible: opening will report the permission problem with its advice.
}

/**
 * Refuses a port name no transport can use (an unknown scheme, a tcp:// address without its
 * port number) as bad input, before anything is opened.
 */
export function checkPortName(spec: string): void {
  transportOf(spec).checkName?.(spec);
}

/** The port's transport; a URL scheme no transport takes is refused, never taken for a file name. */
export function transportOf(spec: string): Transport {
  const transport = transportFor(spec);
  if (transport) return transport;
  const scheme = URL_SCHEME_PATTERN.exec(spec)?.[1] ?? spec;
  throw new InputError('UNSUPPORTED_PORT_URL', `${scheme}:// ports are not supported; name the port as one of ${portExamples()}.`, { phase: 'open', path: spec });
}

function throwIfAborted(signal: AbortSignal | undefined, spec: string): void {
  if (signal?.aborted) throw new CancelledError(`Opening ${spec} was cancelled.`);
}
