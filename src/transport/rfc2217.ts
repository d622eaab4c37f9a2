/**
 * `rfc2217://host:port`: a serial port served over telnet with the COM-PORT-OPTION (RFC 2217),
 * as ser2net's `telnet(rfc2217)` accepter does. Unlike a raw TCP bridge, the line rate, the
 * data format and the modem lines cross the network, so the 28800-baud signal reaches a
 * Particle device and a U-Boot `loady` rate switch works (docs/protocol.md §9).
 *
 * Telnet framing is undone here: 0xFF (IAC) in the data is doubled in both directions, option
 * negotiation and COM-PORT answers are taken out of the byte stream, and both sides are put
 * in binary mode so CR and NUL bytes pass untouched. The protocol layer sees plain bytes.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { DisconnectedError, PortError } from '../errors.js';
import type { ControlSignals } from './connection.js';
import { connectSocket, parseTcpUrl, TcpConnection, type OpenTcpOptions } from './tcp.js';

const IAC = 0xff;
const DONT = 0xfe;
const DO = 0xfd;
const WONT = 0xfc;
const WILL = 0xfb;
const SB = 0xfa;
const SE = 0xf0;
const OPTION_BINARY = 0;
const OPTION_SGA = 3;
const OPTION_COM_PORT = 44;
/** Options this client turns on in both directions. */
const WANTED = new Set([OPTION_BINARY, OPTION_SGA, OPTION_COM_PORT]);

/** COM-PORT-OPTION commands from client to server; the server answers with command + 100. */
export const COM_PORT = {
  setBaudRate: 1,
  setDataSize: 2,
  setParity: 3,
  setStopSize: 4,
  setControl: 5,
  purgeData: 12,
} as const;
const SERVER_OFFSET = 100;
const CONTROL = { dtrOn: 8, dtrOff: 9, rtsOn: 11, rtsOff: 12 } as const;
const PARITY_NONE = 1;
const STOP_BITS_ONE = 1;
/** Purge both the server's receive and transmit buffers. */
const PURGE_BOTH = 3;

/** A server that speaks RFC 2217 agrees to COM-PORT at once; this much silence means it does not. */
const NEGOTIATION_TIMEOUT_MS = 3_000;
/** ser2net answers SET-BAUDRATE after it has applied the rate to the tty. */
const BAUD_CONFIRM_TIMEOUT_MS = 3_000;
/** ser2net on a pty cannot set DTR and never confirms SET-CONTROL: wait briefly, then go on. */
const CONTROL_CONFIRM_TIMEOUT_MS = 300;

export const RFC2217_URL_PATTERN = /^rfc2217:\/\//i;

export function isRfc2217Url(spec: string): boolean {
  return RFC2217_URL_PATTERN.test(spec);
}

export async function openRfc2217(url: string, options: OpenTcpOptions & { baudRate: number; dtr?: boolean }): Promise<Rfc2217Connection> {
  const socket = await connectSocket(url, parseTcpUrl(url, RFC2217_URL_PATTERN, 'rfc2217'), options);
  const connection = new Rfc2217Connection(url, socket);
  try {
    await connection.negotiate(options.baudRate, options.dtr);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

/** Doubles every IAC so data bytes are never read as telnet commands. */
export function escapeIac(data: Buffer): Buffer {
  if (!data.includes(IAC)) return data;
  const out: number[] = [];
  for (const byte of data) {
    out.push(byte);
    if (byte === IAC) out.push(IAC);
  }
  return Buffer.from(out);
}

/** Commands written through the data stream (so they keep their place among the data) but not escaped. */
const TELNET_COMMANDS = new WeakSet<Buffer>();

type Command = { verb: number; option: number } | { option: number; payload: Buffer };

/** Splits a telnet byte stream into data and commands; keeps its state across chunks. */
export class TelnetDecoder {
  #state: 'data' | 'iac' | 'verb' | 'sb' | 'sb-iac' = 'data';
  #verb = 0;
  #sub: number[] = [];

  decode(chunk: Buffer, onCommand: (command: Command) => void): Buffer {
    const data: number[] = [];
    for (const byte of chunk) {
      switch (this.#state) {
        case 'data':
          if (byte === IAC) this.#state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          if (byte === IAC) {
            data.push(IAC);
            this.#state = 'data';
          } else if (byte === SB) {
            this.#sub = [];
            this.#state = 'sb';
          } else if (byte >= WILL) {
            this.#verb = byte;
            this.#state = 'verb';
          } else {
            this.#state = 'data'; // NOP, GA and the other two-byte commands carry nothing for us
          }
          break;
        case 'verb':
          onCommand({ verb: this.#verb, option: byte });
          this.#state = 'data';
          break;
        case 'sb':
          if (byte === IAC) this.#state = 'sb-iac';
          else this.#sub.push(byte);
          break;
        case 'sb-iac':
          if (byte === SE) {
            const [option = -1, ...payload] = this.#sub;
            onCommand({ option, payload: Buffer.from(payload) });
            this.#state = 'data';
          } else {
            if (byte === IAC) this.#sub.push(IAC);
            this.#state = 'sb';
          }
          break;
      }
    }
    return Buffer.from(data);
  }
}

export class Rfc2217Connection extends TcpConnection {
  override readonly kind = 'rfc2217' as const;
  override readonly canSetLineRate = true;
  /** SET-CONTROL is sent; whether the server's port has the lines, only it knows. */
  override readonly canSignal = true;
  override readonly description = 'an RFC 2217 server';
  #baudRate: number | undefined;
  #decoder = new TelnetDecoder();
  #offered = new Set<number>();
  #waiters: { command: number; resolve: (value: Buffer) => void }[] = [];
  #onComPortAgreed: (() => void) | undefined;

  constructor(path: string, socket: Socket) {
    const stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        if (socket.destroyed) return callback(new DisconnectedError(`${path} is already closed; open it again first.`));
        socket.write(TELNET_COMMANDS.has(chunk) ? chunk : escapeIac(chunk), callback);
      },
    });
    super(path, socket, stream);
    stream.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const data = this.#decoder.decode(chunk, (command) => this.#onCommand(command));
      if (data.length > 0) stream.push(data);
    });
    socket.once('close', () => {
      stream.push(null);
      for (const waiter of this.#waiters.splice(0)) waiter.resolve(Buffer.alloc(0));
    });
  }

  override get baudRate(): number | undefined {
    return this.#baudRate;
  }

  /** Telnet options both ways, then the line settings a flash needs: 8N1 at `baudRate`, buffers purged. */
  async negotiate(baudRate: number, dtr: boolean | undefined): Promise<void> {
    const agreed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), NEGOTIATION_TIMEOUT_MS);
      this.#onComPortAgreed = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    for (const option of WANTED) {
      this.#offer(WILL, option);
      if (option !== OPTION_COM_PORT) this.#offer(DO, option);
    }
    if (!(await agreed)) {
      throw new PortError(
        'NOT_RFC2217',
        `${this.path} did not agree to RFC 2217 (telnet COM-PORT-OPTION); if it is a raw TCP bridge, use tcp:// instead (the line rate then stays as the bridge sets it).`,
        { phase: 'open', path: this.path },
      );
    }
    this.#comPort(COM_PORT.setDataSize, Buffer.from([8]));
    this.#comPort(COM_PORT.setParity, Buffer.from([PARITY_NONE]));
    this.#comPort(COM_PORT.setStopSize, Buffer.from([STOP_BITS_ONE]));
    this.#comPort(COM_PORT.purgeData, Buffer.from([PURGE_BOTH]));
    await this.setBaudRate(baudRate);
    if (dtr !== undefined) await this.setSignals({ dtr, rts: true });
  }

  override async setBaudRate(baudRate: number): Promise<void> {
    const value = Buffer.alloc(4);
    value.writeUInt32BE(baudRate);
    const answer = await this.#ask(COM_PORT.setBaudRate, value, BAUD_CONFIRM_TIMEOUT_MS);
    if (answer === undefined || answer.length < 4) {
      throw new PortError(
        'BAUD_RATE_NOT_CONFIRMED',
        `${this.path} did not confirm the baud rate ${baudRate}; check that the server may change its port's settings (ser2net: no "nobreak"/fixed-rate option).`,
        { phase: 'open', path: this.path },
      );
    }
    this.#baudRate = answer.readUInt32BE(0) || baudRate;
  }

  override async setSignals(signals: ControlSignals): Promise<void> {
    const values: number[] = [];
    if (signals.dtr !== undefined) values.push(signals.dtr ? CONTROL.dtrOn : CONTROL.dtrOff);
    if (signals.rts !== undefined) values.push(signals.rts ? CONTROL.rtsOn : CONTROL.rtsOff);
    // A server without the lines (ser2net on a pty) stays silent; that is not an error.
    for (const value of values) await this.#ask(COM_PORT.setControl, Buffer.from([value]), CONTROL_CONFIRM_TIMEOUT_MS);
  }

  #onCommand(command: Command): void {
    if ('payload' in command) {
      if (command.option !== OPTION_COM_PORT || command.payload.length === 0) return;
      const answered = command.payload[0]! - SERVER_OFFSET;
      const index = this.#waiters.findIndex((waiter) => waiter.command === answered);
      if (index >= 0) this.#waiters.splice(index, 1)[0]!.resolve(command.payload.subarray(1));
      return;
    }
    const { verb, option } = command;
    const wanted = WANTED.has(option) && !(verb === WILL && option === OPTION_COM_PORT);
    if (verb === DO || verb === WILL) {
      if (verb === DO && option === OPTION_COM_PORT) this.#onComPortAgreed?.();
      const reply = verb === DO ? (wanted ? WILL : WONT) : wanted ? DO : DONT;
      // Answer only what was not already said, or the two sides would echo each other forever.
      if (!this.#offered.has(reply * 256 + option)) this.#offer(reply, option);
    }
  }

  #offer(verb: number, option: number): void {
    this.#offered.add(verb * 256 + option);
    this.#send([IAC, verb, option]);
  }

  #comPort(command: number, value: Buffer): void {
    this.#send([IAC, SB, OPTION_COM_PORT, command, ...escapeIac(value), IAC, SE]);
  }

  /** Sends a COM-PORT command and waits for its answer; undefined when none came in time. */
  async #ask(command: number, value: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
    if (this.socket.destroyed) throw (await this.closed).error ?? new DisconnectedError(`${this.path} is already closed; open it again first.`);
    let timer: NodeJS.Timeout | undefined;
    const waiter = { command, resolve: (_value: Buffer) => undefined as void };
    const answer = new Promise<Buffer | undefined>((resolve) => {
      waiter.resolve = resolve;
      timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
    });
    this.#waiters.push(waiter);
    this.#comPort(command, value);
    try {
      return await answer;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Telnet commands queue behind the data written before them: a rate change must not overtake it. */
  #send(bytes: number[]): void {
    if (this.socket.destroyed || this.stream.destroyed) return;
    const command = Buffer.from(bytes);
    TELNET_COMMANDS.add(command);
    this.stream.write(command);
  }
}
