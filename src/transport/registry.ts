/**
 * The one list of transports: how a port the user names is recognised, opened, and what it
 * can pass on to the device. A new kind of port (Web Serial, a USB-over-IP bridge) is one
 * more entry; nothing else tests URL prefixes.
 */
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { Connection, PortCapabilities } from './connection.js';
import { isPseudoTerminal } from './pseudo-terminal.js';
import { isRfc2217Url, openRfc2217, RFC2217_URL_PATTERN } from './rfc2217.js';
import { openSerial } from './serial.js';
import { isTcpUrl, openTcp, parseTcpUrl, RAW_TCP_DESCRIPTION } from './tcp.js';

export interface TransportOpenOptions {
  baudRate: number;
  dtr?: boolean;
  binding?: BindingInterface;
  signal?: AbortSignal;
  connectTimeoutMs?: number;
}

export interface Transport {
  /** The URL scheme, or 'serial' for device paths. */
  readonly name: string;
  /** How the README and messages write a port of this kind. */
  readonly example: string;
  matches(spec: string): boolean;
  /** What the port can pass on, known before opening it (plans, messages). */
  capabilities(spec: string, binding?: BindingInterface): Promise<PortCapabilities>;
  open(spec: string, options: TransportOpenOptions): Promise<Connection>;
  /** Throws InputError when the name is malformed for this transport (checked before opening). */
  checkName?(spec: string): void;
  /** Network ports are always "there": connecting tells the rest. */
  readonly appears: boolean;
}

const RFC2217: PortCapabilities = { kind: 'rfc2217', lineRate: true, modemLines: 'probe', description: 'an RFC 2217 server' };
const RAW_TCP: PortCapabilities = { kind: 'tcp', lineRate: false, modemLines: false, description: RAW_TCP_DESCRIPTION };
const PTY: PortCapabilities = { kind: 'pty', lineRate: true, modemLines: false, description: 'a pseudo-terminal' };
const SERIAL: PortCapabilities = { kind: 'serial', lineRate: true, modemLines: 'probe', description: 'a serial port' };

export const TRANSPORTS: readonly Transport[] = [
  {
    name: 'rfc2217',
    example: 'rfc2217://host:port',
    matches: isRfc2217Url,
    capabilities: async () => RFC2217,
    open: (spec, options) => openRfc2217(spec, options),
    checkName: (spec) => void parseTcpUrl(spec, RFC2217_URL_PATTERN, 'rfc2217'),
    appears: false,
  },
  {
    name: 'tcp',
    example: 'tcp://host:port',
    matches: isTcpUrl,
    capabilities: async () => RAW_TCP,
    open: (spec, options) => openTcp(spec, options),
    checkName: (spec) => void parseTcpUrl(spec),
    appears: false,
  },
  {
    name: 'serial',
    example: '/dev/ttyACM0 or COM3',
    // Anything that is not a URL is a device path (or a name the given binding knows).
    matches: (spec) => !URL_SCHEME_PATTERN.test(spec),
    capabilities: async (spec, binding) => (binding === undefined && (await isPseudoTerminal(spec)) ? PTY : SERIAL),
    open: (spec, options) => openSerial(spec, options),
    appears: true,
  },
];

/** `rfc2217://`, `telnet://`: anything with a scheme is a URL, never a file name. */
export const URL_SCHEME_PATTERN = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Every way to name a port, device paths first: for help and messages. */
export function portExamples(): string {
  return [...TRANSPORTS.filter((t) => t.appears), ...TRANSPORTS.filter((t) => !t.appears)].map((t) => t.example).join(', ');
}

/** The transport for a port, or undefined for a URL scheme none of them takes. */
export function transportFor(spec: string): Transport | undefined {
  return TRANSPORTS.find((transport) => transport.matches(spec));
}
