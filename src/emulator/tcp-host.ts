/**
 * Serves a virtual device over raw TCP, the way ser2net serves a real serial port: the socket
 * carries the device's bytes and nothing else (no line coding, no modem lines), and one client
 * holds the port at a time. A device reset that takes a USB port away ends the connection,
 * as the bridge loses its tty; while the device is gone, connections are closed at once.
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PortError } from '../errors.js';
import type { DeviceEnd, VirtualWire } from './virtual-binding.js';
import { VirtualDevice } from './virtual-device.js';

export interface TcpHostOptions {
  /** Default 127.0.0.1: a virtual device is for this machine unless asked otherwise. */
  host?: string;
  /** 0 lets the system choose; read it back from `port`. */
  port?: number;
  /** The device behind `wire` when the wire wraps it (a trace tap): its resets take the port away. */
  device?: VirtualDevice;
}

export interface TcpHostEvents {
  /** A client took the port. */
  connect: [peer: string];
  /** The client went away, or the device's port did (`byDevice`). */
  disconnect: [peer: string, byDevice: boolean];
  /** A client was turned away: `busy` (another one holds the port) or `absent` (the device is resetting). */
  refuse: [peer: string, why: 'busy' | 'absent'];
}

export class TcpHost extends EventEmitter<TcpHostEvents> {
  private client: { socket: Socket; peer: string; gone: boolean } | undefined;
  /** False between a reset that takes the port away and the next boot. */
  private present = true;
  private readonly detach: () => void;

  private constructor(
    private readonly server: Server,
    private readonly wire: VirtualWire,
    device: VirtualDevice | undefined,
  ) {
    super();
    server.on('connection', (socket) => this.accept(socket));
    this.detach = this.followPresence(device);
  }

  /** Starts listening; resolves once the port is bound. */
  static async listen(wire: VirtualWire, options: TcpHostOptions = {}): Promise<TcpHost> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(host, port, error)));
      server.listen({ host, port }, () => resolve());
    });
    return new TcpHost(server, wire, options.device ?? (wire instanceof VirtualDevice ? wire : undefined));
  }

  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** What a client passes as PORT: `tcp://127.0.0.1:40123` (IPv6 hosts in brackets). */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `tcp://${host}:${this.port}`;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Stops listening and drops the client (the device sees the host close). */
  async close(): Promise<void> {
    this.detach();
    this.client?.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.client || !this.present) {
      this.emit('refuse', peer, this.client ? 'busy' : 'absent');
      socket.destroy();
      return;
    }
    // Stop-and-wait YMODEM: Nagle would hold every single-byte ACK back for a round trip.
    socket.setNoDelay(true);
    const client = { socket, peer, gone: false };
    this.client = client;
    const end: DeviceEnd = {
      send: (data) => {
        if (!client.gone && !socket.destroyed) socket.write(Buffer.from(data));
      },
      disconnect: () => {
        if (client.gone) return;
        client.gone = true;
        socket.destroy();
      },
    };
    socket.on('data', (data: Buffer) => {
      if (!client.gone) this.wire.onHostData(data);
    });
    // A reset peer is an ordinary hang-up here; 'close' follows.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.client === client) this.client = undefined;
      const byDevice = client.gone;
      if (!byDevice) {
        client.gone = true;
        this.wire.onHostClose?.();
      }
      this.emit('disconnect', peer, byDevice);
    });
    this.emit('connect', peer);
    this.wire.onHostOpen?.(end);
  }

  /** A virtual device tells when its port goes away and comes back; other wires are always there. */
  private followPresence(device: VirtualDevice | undefined): () => void {
    if (!device) return () => undefined;
    const onReset = (info: { portVanishes: boolean }) => {
      if (info.portVanishes) this.present = false;
    };
    const onBoot = () => {
      this.present = true;
    };
    device.on('reset', onReset);
    device.on('boot', onBoot);
    return () => {
      device.off('reset', onReset);
      device.off('boot', onBoot);
    };
  }
}

function listenError(host: string, port: number, error: NodeJS.ErrnoException): PortError {
  const where = `${host}:${port}`;
  const context = { phase: 'listen', path: where, systemCode: error.code };
  switch (error.code) {
    case 'EADDRINUSE':
      return new PortError('LISTEN_IN_USE', `${where} is already in use; choose another port, or port 0 to let the system pick one.`, context);
    case 'EACCES':
      return new PortError('LISTEN_DENIED', `Listening on ${where} is not allowed; use a port above 1023.`, context);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new PortError('LISTEN_BAD_HOST', `${host} is not an address of this machine; use 127.0.0.1, or 0.0.0.0 for every interface.`, context);
    default:
      return new PortError('LISTEN_FAILED', `Listening on ${where} failed (${error.message}); try another host or port.`, context);
  }
}
