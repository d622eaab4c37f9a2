/**
 * A U-Boot console on a UART: `=> ` prompt, echo, the banner printed once at power-on (lost
 * when nobody has the port open yet; a CR brings a fresh prompt), and `loady [addr]`, which
 * runs a standard YMODEM receiver and stores the file in RAM at the address given.
 */
import { formatAddress } from '../image/address.js';
import type { FileInfo } from '../protocol/blocks.js';
import { FlashMemory } from './flash-memory.js';
import { VirtualDevice, sha256, type BaseDeviceOptions } from './virtual-device.js';
import { YmodemReceiver, type ReceiverEnd, type ReceiverStore } from './ymodem-receiver.js';

export const UBOOT_PROMPT = '=> ';
/** A common CONFIG_SYS_LOAD_ADDR; `loady` with no address loads here. */
export const UBOOT_DEFAULT_LOAD_ADDRESS = 0x81000000;
/** DRAM of the virtual board: 256 MiB at 0x80000000. */
export const UBOOT_RAM = { name: 'DRAM', start: 0x80000000, end: 0x90000000 } as const;
/** U-Boot's xyzModem waits 2 s per character and sends `C` again each time (xyzModem_CHAR_TIMEOUT). */
export const UBOOT_CHAR_TIMEOUT_MS = 2_000;
/**
 * After ACKing the header, loady sends no `C`: it waits for block 1 and asks again with `C`
 * only after its own timeouts, ~4.25 s later (measured on U-Boot in QEMU).
 */
export const UBOOT_BLOCK_WAIT_MS = 4_250;
/** xyzModem_MAX_RETRY: it gives up after 20 silent periods. */
export const UBOOT_MAX_RETRIES = 20;
/** Power-on until the banner (inference: SPL plus relocation, a fraction of a second). */
export const UBOOT_BOOT_MS = 300;

const BACKSPACE = new Set([0x08, 0x7f]);
const CTRL_C = 0x03;

export interface UBootOptions extends BaseDeviceOptions {
  /** The banner's version line. */
  version?: string;
  /** The rate shown in "## Ready for binary …" (the host's line coding updates it). */
  baudRate?: number;
}

interface Load {
  address: number;
  received: number;
  file?: FileInfo;
}

export class UBootDevice extends VirtualDevice {
  readonly profile = 'uboot';
  /** The board's RAM, where `loady` stores files. */
  readonly memory = new FlashMemory({ regions: [UBOOT_RAM], ram: true });
  private line = '';
  private load: Load | undefined;
  private baudRate: number;

  constructor(private readonly options: UBootOptions = {}) {
    super(options);
    this.baudRate = options.baudRate ?? 115200;
    this.printBanner();
  }

  get mode(): string {
    return this.load ? 'receiving' : 'console';
  }

  /** Press the board's reset button: the banner again, for whoever listens now. */
  powerCycle(): void {
    this.reset('power-cycle', this.scaled(UBOOT_BOOT_MS));
  }

  override onLineCoding(baudRate: number): void {
    super.onLineCoding(baudRate);
    this.baudRate = baudRate;
  }

  protected receive(data: Buffer): void {
    if (this.load) return this.receiver?.feed(data);
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (byte === 0x0d || byte === 0x0a) {
        if (byte === 0x0a && data[i - 1] === 0x0d) continue;
        this.print('\r\n');
        const command = this.line.trim();
        this.line = '';
        if (this.run(command)) return this.receiver?.feed(data.subarray(i + 1));
        this.print(UBOOT_PROMPT);
      } else if (BACKSPACE.has(byte)) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.print('\b \b');
        }
      } else if (byte === CTRL_C) {
        this.line = '';
        this.print(`<INTERRUPT>\r\n${UBOOT_PROMPT}`);
      } else if (byte >= 0x20 && byte < 0x7f) {
        this.line += String.fromCharCode(byte);
        this.send(Buffer.of(byte)); // echo
      }
    }
  }

  /** Runs one command line; true when a YMODEM receiver now owns the input. */
  private run(command: string): boolean {
    if (command === '') return false;
    const [name, ...args] = command.split(/\s+/);
    switch (name) {
      case 'loady':
        return this.loady(args);
      case 'help':
        this.println('help      - print command description/usage');
        this.println('loady     - load binary file over serial line (ymodem mode)');
        this.println('reset     - Perform RESET of the CPU');
        this.println('version   - print monitor, compiler and linker version');
        return false;
      case 'version':
        this.println(this.versionLine());
        return false;
      case 'reset':
        this.println('resetting ...');
        this.powerCycle();
        return true; // nothing more is read before the reboot
      default:
        this.println(`Unknown command '${name}' - try 'help'`);
        return false;
    }
  }

  private loady(args: string[]): boolean {
    const address = args[0] === undefined ? UBOOT_DEFAULT_LOAD_ADDRESS : parseHex(args[0]);
    if (address === undefined) {
      this.println(`Usage:\r\nloady [ off ] [ baud ]`);
      return false;
    }
    this.println(`## Ready for binary (ymodem) download to ${formatAddress(address)} at ${this.baudRate} bps...`);
    const load: Load = { address, received: 0 };
    this.load = load;
    const memory = this.memory;
    const store: ReceiverStore = {
      async beginFile(file) {
        load.file = file;
        return undefined;
      },
      async writeBlock(offset, data) {
        const written = await memory.write(address + offset, data);
        if (!written.ok) return written.reason;
        load.received = Math.max(load.received, offset + data.length);
        return undefined;
      },
    };
    this.receiver = new YmodemReceiver({
      dialect: 'strict',
      requestsAfterHeader: false,
      requestsOnBlockTimeout: true,
      byteTimeoutMs: this.scaled(UBOOT_BLOCK_WAIT_MS),
      timeScale: this.timeScale,
      requestIntervalMs: this.scaled(UBOOT_CHAR_TIMEOUT_MS),
      maxErrors: UBOOT_MAX_RETRIES,
      send: (bytes) => this.send(bytes),
      store,
      transformFrame: this.frameHook,
      onEvent: (event) => {
        if (event.type === 'header') this.emit('transfer-start', { name: event.file.name, size: event.file.size });
        else if (event.type === 'block') this.emit('block', { sequence: event.sequence, offset: event.offset, size: event.size });
      },
      onEnd: (end) => this.onLoadEnd(load, end),
    });
    this.receiver.start();
    return true;
  }

  private onLoadEnd(load: Load, end: ReceiverEnd): void {
    this.receiver = undefined;
    this.load = undefined;
    const ok = end.kind === 'complete' && load.file !== undefined;
    if (!ok) this.println(xyzModemError(end));
    this.println(`## Total Size      = 0x${load.received.toString(16).padStart(8, '0')} = ${load.received} Bytes`);
    this.println(`## Start Addr      = ${formatAddress(load.address)}`);
    this.print(UBOOT_PROMPT);
    const data = this.memory.read(load.address, load.received);
    this.record({
      status: ok ? 'accepted' : 'failed',
      ...(ok ? {} : { reason: xyzModemError(end) }),
      name: load.file?.name,
      size: load.received,
      address: load.address,
      sha256: sha256(data),
    });
  }

  private versionLine(): string {
    return `U-Boot ${this.options.version ?? '2024.01'} (virtual board)`;
  }

  private printBanner(): void {
    this.println();
    this.println(this.versionLine());
    this.println();
    this.println('DRAM:  256 MiB');
    this.println('Hit any key to stop autoboot:  0');
    this.print(UBOOT_PROMPT);
  }

  protected boot(): void {
    this.line = '';
    this.printBanner();
  }

  protected override halt(): void {
    super.halt();
    this.load = undefined;
  }

  protected override get portVanishesOnReset(): boolean {
    return false; // a UART adapter stays plugged in while the board resets
  }
}

/** U-Boot reads addresses as hex, with or without 0x. */
function parseHex(text: string): number | undefined {
  const match = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(text);
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

/** The texts of U-Boot's xyzModem_error() for the ways a transfer ends. */
function xyzModemError(end: ReceiverEnd): string {
  switch (end.kind) {
    case 'too-many-errors':
      return 'Timed out';
    case 'sender-cancelled':
    case 'device-cancelled':
      return 'Cancelled';
    case 'out-of-sequence':
      return 'Sequence error';
    case 'complete':
      return 'File not found'; // an empty batch
    default:
      return 'Data error';
  }
}
