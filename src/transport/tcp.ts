/**
 * Raw TCP serial bridges (ser2net, ESP-Link, `serial-flash emulate --listen`): the socket
 * carries the device's bytes and nothing else, so line coding and modem lines cannot be set.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CancelledError, DisconnectedError, InputError, PortError } from '../errors.js';
import type { Connection, ControlSignals } from './connection.js';

export interface OpenTcpOptions {
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Long enough for a bridge across the internet, short enough that a dead host is reported promptly. */
export const DEFAULT_TCP_CONNECT_TIMEOUT_MS = 10_000;

export const RAW_TCP_DESCRIPTION = 'a raw TCP bridge';

/** How much of what a bridge says first is kept, to tell a "port in use" notice from a device. */
const HEARD_BYTES = 256;
/** ser2net: "Port already in use"; other bridges: busy, in use, another client/connection. */
const TURNED_AWAY_TEXT = /\b(in use|busy|another (client|connection|user)|already connected|not available)\b/i;

/** IAC WILL/WONT/DO/DONT or IAC SB: a Telnet server negotiating, where raw bytes were expected. */
const TELNET_NEGOTIATION = /^\xff[\xfa-\xfe]/;

/** `socket://` is esptool's name for the same raw TCP bridge. */
const TCP_URL_PATTERN = /^(tcp|socket):\/\//i;

export function isTcpUrl(spec: string): boolean {
  return TCP_URL_PATTERN.test(spec);
}

/** Host and port of a `tcp://host:port` URL, or why it is not usable (shared with `emulate --listen`). */
export function splitTcpUrl(url: string, scheme = TCP_URL_PATTERN): { host: string; port: number } | { problem: string } {
  if (!scheme.test(url)) return { problem: `it must start with ${scheme === TCP_URL_PATTERN ? 'tcp' : scheme.source.replace(/\W/g, '')}://` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: 'it cannot be parsed' };
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { problem: 'the host is missing' };
  if (parsed.port === '') return { problem: 'the port number is missing' };
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search || parsed.hash || parsed.username) {
    return { problem: 'only a host and a port may be given' };
  }
  // URL has already rejected ports above 65535.
  return { host, port: Number(parsed.port) };
}

export function parseTcpUrl(url: string, scheme = TCP_URL_PATTERN, name = 'tcp'): { host: string; port: number } {
  const split = splitTcpUrl(url, scheme);
  const problem = 'problem' in split ? split.problem : split.port === 0 ? 'port 0 cannot be connected to' : undefined;
  if (problem === undefined) return split as { host: string; port: number };
  throw new InputError('BAD_TCP_URL', `${url} is not a usable TCP address (${problem}); write it as ${name}://host:port, e.g. ${name}://192.168.1.20:2000.`);
}

export async function openTcp(url: string, options: OpenTcpOptions = {}): Promise<Connection> {
  return new TcpConnection(url, await connectSocket(url, parseTcpUrl(url), options));
}

/** Connects within the timeout, or fails with one sentence saying what to check. */
export async function connectSocket(url: string, { host, port }: { host: string; port: number }, options: OpenTcpOptions): Promise<Socket> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_TCP_CONNECT_TIMEOUT_MS;
  const { signal } = options;
  if (signal?.aborted) throw new CancelledError(`Connecting to ${url} was cancelled.`);
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      cleanUp();
      socket.destroy();
      reject(error);
    };
    const onError = (error: NodeJS.ErrnoException): void => fail(connectError(url, error, timeoutMs));
    const onAbort = (): void => fail(new CancelledError(`Connecting to ${url} was cancelled.`));
    const timer = setTimeout(() => fail(connectError(url, { code: 'ETIMEDOUT' } as NodeJS.ErrnoException, timeoutMs)), timeoutMs);
    const cleanUp = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    socket.once('connect', () => {
      cleanUp();
      resolve();
    });
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  // YMODEM is stop-and-wait: Nagle would hold each small ACK/packet tail back for an RTT.
  socket.setNoDelay(true);
  return socket;
}

/**
 * A connection over a socket. `stream` is the socket itself for raw TCP, or a codec on top
 * of it (RFC 2217's telnet); the socket's life is the connection's.
 */
export class TcpConnection implements Connection {
  readonly kind: Connection['kind'] = 'tcp';
  readonly canSetLineRate: boolean = false;
  readonly canSignal: boolean = false;
  readonly description: string = RAW_TCP_DESCRIPTION;
  readonly usb = undefined;
  readonly closed: Promise<{ error?: Error }>;
  #closeRequested = false;
  #error: Error | undefined;
  /** The first bytes the bridge sent: a bridge that turns a client away may say why. */
  #heard = Buffer.alloc(0);
  #peerEnded = false;

  constructor(
    readonly path: string,
    protected readonly socket: Socket,
    readonly stream: Duplex = socket,
  ) {
    // Keep the first error for `closed`; an unhandled socket 'error' would end the process.
    socket.on('error', (error: Error) => {
      this.#error ??= error;
    });
    socket.on('data', (data: Buffer) => {
      const first = this.#heard.length === 0;
      if (this.#heard.length < HEARD_BYTES) this.#heard = Buffer.concat([this.#heard, data]).subarray(0, HEARD_BYTES);
      // Through a Telnet port every 0xFF we send is taken for a command (each block's complement
      // byte of 0x00 is one): stop at once rather than fail block by block.
      if (first && this.speaksTelnet) socket.destroy();
    });
    socket.once('end', () => (this.#peerEnded = true));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        if (this.#closeRequested) return resolve({});
        const why = this.#error ? `the connection failed: ${this.#error.message}` : 'the bridge closed the connection';
        resolve({
          error: new DisconnectedError(`${path} went away (${why}); check the bridge and the device, then try again.`, {}, { cause: this.#error }),
        });
      });
    });
  }

  get baudRate(): number | undefined {
    return undefined;
  }

  /** Whether the bridge opened with Telnet negotiation (ser2net's telnet and RFC 2217 ports do). */
  protected get speaksTelnet(): boolean {
    return this.kind === 'tcp' && TELNET_NEGOTIATION.test(this.#heard.toString('latin1'));
  }

  get turnedAway(): PortError | undefined {
    if (this.#closeRequested || !(this.#peerEnded || this.socket.destroyed)) return undefined;
    if (this.speaksTelnet) {
      return new PortError(
        'TCP_IS_TELNET',
        `${this.path} answered with Telnet negotiation, so it is an RFC 2217 (Telnet) port, not a raw one; name it ${this.path.replace(TCP_URL_PATTERN, 'rfc2217://')}.`,
        { phase: 'open', path: this.path },
      );
    }
    const text = this.#heard.toString('latin1').replace(/[^\x20-\x7e]+/g, ' ').trim();
    if (text !== '' && !TURNED_AWAY_TEXT.test(text)) return undefined;
    const said = text === '' ? 'closed the connection before the device said anything' : `said "${text}" and closed the connection`;
    return new PortError(
      'PORT_BUSY',
      `${this.path} ${said}: another client holds the port, or the device behind it is restarting; close the other program, or add --wait SECONDS to wait for it.`,
      { phase: 'open', path: this.path, ...(text ? { systemMessage: text } : {}) },
    );
  }

  async setBaudRate(_baudRate: number): Promise<void> {
    // A raw bridge has no line coding to change; the bridge's own configuration sets the rate.
  }

  async setSignals(_signals: ControlSignals): Promise<void> {
    // No modem lines over raw TCP; profiles check canSignal before relying on them.
  }

  async drain(): Promise<void> {
    if (this.stream.destroyed || this.stream.writableEnded) {
      throw (await this.closed).error ?? new DisconnectedError(`${this.path} is already closed; open it again first.`);
    }
    // Write callbacks run in order, so this one runs once everything before it reached the kernel.
    await new Promise<void>((resolve, reject) => this.stream.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    if (!this.socket.destroyed) {
      this.#closeRequested = true;
      this.socket.destroy();
    }
    if (!this.stream.destroyed) this.stream.destroy();
    await this.closed;
  }
}

function connectError(url: string, error: NodeJS.ErrnoException, timeoutMs: number): PortError {
  const options = { cause: error };
  const context = { phase: 'open', path: url, systemCode: error.code };
  switch (error.code) {
    case 'ECONNREFUSED':
      return new PortError(
        'TCP_REFUSED',
        `${url} refused the connection; check that the bridge (ser2net, ESP-Link, serial-flash emulate) is running and listening on that port.`,
        context,
        options,
      );
    case 'ETIMEDOUT':
      return new PortError(
        'TCP_TIMEOUT',
        `${url} did not answer within ${timeoutMs / 1000} s; check the address and that no firewall drops the connection.`,
        context,
        options,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new PortError('TCP_UNREACHABLE', `The host in ${url} could not be found; check its name.`, context, options);
    default:
      return new PortError(
        'TCP_UNREACHABLE',
        `${url} could not be reached (${error.message || error.code}); check the address and the network.`,
        context,
        options,
      );
  }
}
