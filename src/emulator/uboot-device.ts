/**
 * A U-Boot console on a UART, as U-Boot 2023.01 behaves (checked against the real one under
 * QEMU, docs/protocol.md §7): `=> ` prompt, echo, the banner printed once at power-on (lost when
 * nobody has the port open yet; a CR brings a fresh prompt), after a reset the banner and the
 * autoboot countdown (a key stops it and is eaten; when it runs out the boot attempts fail and
 * end at the prompt; RAM is untouched, the environment back to its defaults), and the commands
 * a serial load needs: `loady`/`loadx [addr [baud]]` (U-Boot's own receiver,
 * ./uboot-xyzmodem.ts), the baud-rate switch and the way back, `crc32 addr size`, `printenv`/`setenv` (`filesize`,
 * `loadxy_timeout`), `echo`, `version`, `reset`.
 */
import crc32 from 'crc/calculators/crc32';
import { FlashMemory } from './flash-memory.js';
import { VirtualDevice, sha256, type BaseDeviceOptions } from './virtual-device.js';
import { XYZ_DEFAULT_INITIAL_TIMEOUT_S, XyzModemReceiver, type XyzMode, type XyzResult } from './uboot-xyzmodem.js';

export const UBOOT_PROMPT = '=> ';
/** A common CONFIG_SYS_LOAD_ADDR; `loady` with no address loads here. */
export const UBOOT_DEFAULT_LOAD_ADDRESS = 0x81000000;
/** DRAM of the default virtual board: 256 MiB at 0x80000000. */
export const UBOOT_RAM = { name: 'DRAM', start: 0x80000000, end: 0x90000000 } as const;
/** QEMU's `virt` board, as Debian's u-boot-qemu (qemu_arm) sees it: 256 MiB at 0x40000000. */
export const QEMU_VIRT_BOARD = { ram: { name: 'DRAM', start: 0x40000000, end: 0x50000000 }, loadAddress: 0x40200000 } as const;
/** Power-on until the banner (inference: SPL plus relocation, a fraction of a second). */
export const UBOOT_BOOT_MS = 300;
/** `bootdelay` of the default environment (QEMU's qemu_arm too): seconds of autoboot countdown. */
export const UBOOT_BOOTDELAY_S = 2;
/** What a board prints when its countdown runs out and its boot command finds nothing to boot (as QEMU's). */
const FAILED_BOOT_LINES = ['fatal: no kernel available', "Command 'load' failed: Error 1", 'starting USB...', 'No working controllers found', 'No ethernet found.'];
/** U-Boot waits 50 ms after a switch message before it changes the UART rate (cmd/load.c). */
const BAUD_SWITCH_DELAY_MS = 50;

const BACKSPACE = new Set([0x08, 0x7f]);
/**
 * Commands an empty line runs again (U-Boot's `repeatable` flag; an unknown command's error is
 * repeated too). Checked against U-Boot 2023.01: Enter after `crc32 …` prints the crc again,
 * Enter after `loady`, or after Ctrl-C, runs nothing.
 */
const NOT_REPEATABLE = new Set(['loady', 'loadx', 'setenv', 'reset']);
const CTRL_C = 0x03;
const ENTER = 0x0d;
const ESCAPE = 0x1b;

export interface UBootOptions extends BaseDeviceOptions {
  /** The banner's version line. */
  version?: string;
  /** The console rate (`baudrate`), shown in "## Ready for binary …". */
  baudRate?: number;
  /** Where RAM is and where `loady` loads without an address; the default board otherwise. */
  board?: { ram: { name: string; start: number; end: number }; loadAddress: number };
}

/** What the console is doing with the bytes it receives. */
type Input =
  | { kind: 'command' }
  | { kind: 'receiving'; receiver: XyzModemReceiver }
  /** After a switch message: ignore everything until this key arrives at this rate. */
  | { kind: 'awaiting-key'; key: number; baud: number; then: () => void }
  /** After a reset: any key stops the countdown (and is eaten); the next tick is due then. */
  | { kind: 'autoboot'; tick: NodeJS.Timeout };

export class UBootDevice extends VirtualDevice {
  readonly profile = 'uboot';
  /** The board's RAM, where loads land. */
  readonly memory: FlashMemory;
  private readonly loadAddress: number;
  private line = '';
  /** What an empty line runs again, if anything. */
  private repeatable = '';
  private input: Input = { kind: 'command' };
  private readonly env = new Map<string, string>();
  /** The rate the host's port runs at (its line coding). */
  private hostBaud: number;
  /** The rate the board's UART runs at. */
  private uartBaud: number;
  private readonly consoleBaud: number;

  constructor(private readonly options: UBootOptions = {}) {
    super(options);
    this.consoleBaud = options.baudRate ?? 115200;
    this.hostBaud = this.consoleBaud;
    this.uartBaud = this.consoleBaud;
    const board = options.board ?? { ram: UBOOT_RAM, loadAddress: UBOOT_DEFAULT_LOAD_ADDRESS };
    this.memory = new FlashMemory({ regions: [board.ram], ram: true });
    this.loadAddress = board.loadAddress;
    this.defaultEnvironment();
    this.printBanner();
  }

  get mode(): string {
    return this.input.kind === 'receiving' ? 'receiving' : 'console';
  }

  override get receiving(): boolean {
    return this.input.kind === 'receiving';
  }

  /** The board gives up on the load by itself (a fault), as U-Boot does after a timeout. */
  override abortTransfer(reason: string): void {
    if (this.input.kind === 'receiving') this.input.receiver.abort(reason);
  }

  /** Press the board's reset button: the banner again, for whoever listens now. */
  powerCycle(): void {
    this.reset('power-cycle', this.scaled(UBOOT_BOOT_MS));
  }

  override onLineCoding(baudRate: number): void {
    super.onLineCoding(baudRate);
    this.hostBaud = baudRate;
  }

  protected receive(data: Buffer): void {
    // Bytes sent at another rate than the UART's arrive as noise.
    if (this.hostBaud !== this.uartBaud) return;
    const input = this.input;
    if (input.kind === 'receiving') return input.receiver.feed(data);
    if (input.kind === 'autoboot') {
      // common/autoboot.c: the key that stops the countdown is consumed; the rest is typed.
      this.cancelTimer(input.tick);
      this.print('\b\b\b 0 \r\n');
      this.startConsole();
      return this.receive(data.subarray(1));
    }
    if (input.kind === 'awaiting-key') {
      const at = data.indexOf(input.key);
      if (at < 0) return;
      this.input = { kind: 'command' };
      input.then();
      return this.receive(data.subarray(at + 1));
    }
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (byte === ENTER || byte === 0x0a) {
        if (byte === 0x0a && data[i - 1] === ENTER) continue;
        this.print('\r\n');
        const typed = this.line.trim();
        this.line = '';
        const command = typed || this.repeatable;
        this.repeatable = NOT_REPEATABLE.has(command.split(/\s+/)[0]!) ? '' : command;
        this.run(command);
        if (this.input.kind !== 'command') return this.receive(data.subarray(i + 1));
        if (!this.powered) return;
        this.print(UBOOT_PROMPT);
      } else if (BACKSPACE.has(byte)) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.print('\b \b');
        }
      } else if (byte === CTRL_C) {
        this.line = '';
        this.repeatable = '';
        this.print(`<INTERRUPT>\r\n${UBOOT_PROMPT}`);
      } else if (byte >= 0x20 && byte < 0x7f) {
        this.line += String.fromCharCode(byte);
        this.send(Buffer.of(byte)); // echo
      }
    }
  }

  /** Runs one command line (U-Boot expands `$name` and `${name}` first). */
  private run(command: string): void {
    if (command === '') return;
    const [name, ...args] = command.replace(/\$\{?(\w+)\}?/g, (_, variable: string) => this.env.get(variable) ?? '').split(/\s+/);
    switch (name) {
      case 'loady':
      case 'loadx':
        return this.load(name === 'loady' ? 'ymodem' : 'xmodem', args);
      case 'crc32':
        return this.crc32(args);
      case 'echo':
        this.println(args.join(' '));
        return;
      case 'printenv':
        for (const variable of args.length ? args : [...this.env.keys()].sort()) {
          const value = this.env.get(variable);
          this.println(value === undefined ? `## Error: "${variable}" not defined` : `${variable}=${value}`);
        }
        return;
      case 'setenv':
        if (args[1] === undefined) this.env.delete(args[0] ?? '');
        else this.env.set(args[0]!, args.slice(1).join(' '));
        return;
      case 'help':
        this.println('crc32     - checksum calculation');
        this.println('echo      - echo args to console');
        this.println('help      - print command description/usage');
        this.println('loadx     - load binary file over serial line (xmodem mode)');
        this.println('loady     - load binary file over serial line (ymodem mode)');
        this.println('printenv  - print environment variables');
        this.println('reset     - Perform RESET of the CPU');
        this.println('setenv    - set environment variables');
        this.println('version   - print monitor, compiler and linker version');
        return;
      case 'version':
        this.println(this.versionLine());
        return;
      case 'reset':
        this.println('resetting ...');
        this.powerCycle();
        return;
      default:
        this.println(`Unknown command '${name}' - try 'help'`);
    }
  }

  /** `crc32 addr size`: both hex; prints `crc32 for 40200000 ... 402493e0 ==> 3246e02b`. */
  private crc32(args: string[]): void {
    const address = parseHex(args[0]);
    const size = parseHex(args[1]);
    if (address === undefined || size === undefined) {
      this.println('crc32 - checksum calculation\r\n\r\nUsage:\r\ncrc32 address count [addr]');
      return;
    }
    const value = crc32(this.memory.read(address, size)) >>> 0;
    this.println(`crc32 for ${hex8(address)} ... ${hex8(address + size - 1)} ==> ${hex8(value)}`);
  }

  /** `loady`/`loadx [addr [baud]]`, as cmd/load.c's do_load_serial_bin runs them. */
  private load(mode: XyzMode, args: string[]): void {
    const address = args[0] === undefined ? this.loadAddress : parseHex(args[0]);
    const baud = args[1] === undefined ? this.uartBaud : Number.parseInt(args[1], 10) || this.uartBaud;
    if (address === undefined) {
      this.println(`Usage:\r\nload${mode === 'ymodem' ? 'y' : 'x'} [ addr [ baud ] ]`);
      return;
    }
    const start = () => this.startLoad(mode, address, baud);
    if (baud === this.uartBaud) return start();
    this.println(`## Switch baudrate to ${baud} bps and press ENTER ...`);
    this.switchUart(baud, ENTER, start);
  }

  private startLoad(mode: XyzMode, address: number, baud: number): void {
    this.println(`## Ready for binary (${mode}) download to 0x${hex8(address).toUpperCase()} at ${baud} bps...`);
    const timeout = Number.parseInt(this.env.get('loadxy_timeout') ?? String(XYZ_DEFAULT_INITIAL_TIMEOUT_S), 10);
    let name: string | undefined;
    const receiver = new XyzModemReceiver({
      mode,
      timeScale: this.timeScale,
      initialTimeoutMs: (Number.isFinite(timeout) ? timeout : XYZ_DEFAULT_INITIAL_TIMEOUT_S) * 1000,
      send: (bytes) => this.send(bytes),
      store: (offset, data) => void this.memory.write(address + offset, data),
      transformFrame: this.frameHook,
      onEvent: (event) => {
        if (event.type === 'header') {
          name = event.name;
          this.emit('transfer-start', { name: event.name, size: event.size });
        } else this.emit('block', { sequence: event.sequence, offset: event.offset, size: event.size });
      },
    });
    this.input = { kind: 'receiving', receiver };
    void receiver.run().then((result) => this.loadEnded(receiver, mode, address, result, name));
  }

  private loadEnded(receiver: XyzModemReceiver, mode: XyzMode, address: number, result: XyzResult, name: string | undefined): void {
    if (this.input.kind !== 'receiving' || this.input.receiver !== receiver) return;
    this.input = { kind: 'command' };
    if (result.ok) {
      this.println(`## Total Size      = 0x${hex8(result.size)} = ${result.size} Bytes`);
      this.env.set('filesize', result.size.toString(16));
      this.println(`## Start Addr      = 0x${hex8(address).toUpperCase()}`);
    } else {
      this.println(`\r\n${result.error}`);
      this.println(`## Binary (${mode}) download aborted`);
    }
    const data = this.memory.read(address, result.size);
    this.record({
      status: result.ok ? 'accepted' : 'failed',
      ...(result.ok ? {} : { reason: result.error }),
      name,
      size: result.size,
      address,
      sha256: sha256(data),
    });
    const backToConsole = () => {
      this.print(UBOOT_PROMPT);
      const typed = receiver.takeLeftover();
      if (typed.length > 0) this.receive(typed);
    };
    if (this.uartBaud === this.consoleBaud) return backToConsole();
    this.println(`## Switch baudrate to ${this.consoleBaud} bps and press ESC ...`);
    receiver.takeLeftover();
    this.switchUart(this.consoleBaud, ESCAPE, backToConsole);
  }

  /** Changes the UART rate after U-Boot's pause, then waits for `key` at the new rate. */
  private switchUart(baud: number, key: number, then: () => void): void {
    this.input = { kind: 'awaiting-key', key, baud, then };
    this.later(this.scaled(BAUD_SWITCH_DELAY_MS), () => {
      this.uartBaud = baud;
    });
  }

  /** What U-Boot starts with: `filesize` and anything set since are gone after a reset. */
  private defaultEnvironment(): void {
    this.env.clear();
    this.env.set('baudrate', String(this.consoleBaud));
  }

  private versionLine(): string {
    return `U-Boot ${this.options.version ?? '2023.01'} (virtual board)`;
  }

  /** Power-on: the board starts at its prompt, its countdown over (a serial load begins there). */
  private printBanner(): void {
    this.printStartup();
    this.println('Hit any key to stop autoboot:  0');
    this.print(UBOOT_PROMPT);
  }

  private printStartup(): void {
    this.println();
    this.println(this.versionLine());
    this.println();
    this.println('DRAM:  256 MiB');
  }

  /** After a reset: the banner, then `bootdelay` seconds for a key before the board boots by itself. */
  protected boot(): void {
    this.defaultEnvironment();
    this.line = '';
    this.repeatable = '';
    this.uartBaud = this.consoleBaud;
    this.printStartup();
    this.print(`Hit any key to stop autoboot: ${String(UBOOT_BOOTDELAY_S).padStart(2)} `);
    this.countDown(UBOOT_BOOTDELAY_S);
  }

  private countDown(secondsLeft: number): void {
    const tick = this.later(this.scaled(1_000), () => {
      this.print(`\b\b\b${String(secondsLeft - 1).padStart(2)} `);
      if (secondsLeft > 1) return this.countDown(secondsLeft - 1);
      this.print('\r\n');
      for (const line of FAILED_BOOT_LINES) this.println(line);
      this.startConsole();
    });
    this.input = { kind: 'autoboot', tick };
  }

  private startConsole(): void {
    this.input = { kind: 'command' };
    this.print(UBOOT_PROMPT);
  }

  protected override halt(): void {
    super.halt();
    if (this.input.kind === 'receiving') this.input.receiver.stop();
    this.input = { kind: 'command' };
  }

  protected override get portVanishesOnReset(): boolean {
    return false; // a UART adapter stays plugged in while the board resets
  }
}

/** U-Boot reads numbers as hex, with or without 0x. */
function parseHex(text: string | undefined): number | undefined {
  const match = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(text ?? '');
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
