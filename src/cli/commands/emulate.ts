/**
 * `serial-flash emulate`: a virtual device on a raw TCP port (as ser2net serves one) and
 * optionally a pseudo-terminal, for trying the flasher, CI, and other YMODEM senders.
 * Ends on Ctrl-C or, with --once, after one transfer; then prints one summary line (or, with
 * --json, the result line). --trace and --log record every byte on the device's port.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { firmwareVersionHelp, PROFILE_CHOICES, PROFILE_NAMES, PROFILE_TRAITS } from '../../emulator/profile-traits.js';
import { deviceOptionsFrom, parseListenUrl, type EmulateArgs } from '../emulate-options.js';
import type { VirtualDevice } from '../../emulator/virtual-device.js';
import { type Example, formatExamples, helpWidth } from '../help.js';
import { onInterrupt } from '../interrupt.js';
import type { Cli } from '../output.js';

/** With neither --listen nor --pty: loopback, any free port (printed). */
const DEFAULT_LISTEN = 'tcp://127.0.0.1:0';
/**
 * --once: after the transfer's verdict, wait this long at most for the host to hang up, so it
 * reads the closing texts; a Particle device announces its restart 1.1 s later and resets.
 */
export const ONCE_LINGER_MS = 5_000;

const EMULATE_EXAMPLES: readonly Example[] = PROFILE_TRAITS.flatMap(({ example }) =>
  example ? [[`serial-flash emulate ${example[0]}`, example[1]] as const] : [],
);

interface EmulateCommandArgs extends EmulateArgs {
  listen?: string;
  pty?: string;
  image?: string;
  verbose: boolean;
}

export function emulateCommand({ output, report, setExitCode }: Cli): CommandModule<object, EmulateCommandArgs> {
  return {
    command: 'emulate',
    describe: 'serve a virtual device on tcp://HOST:PORT (and a pty) to try the flasher without hardware',
    builder: (yargs: Argv) =>
      yargs
        .option('profile', { alias: 'p', type: 'string', choices: PROFILE_CHOICES, default: PROFILE_NAMES[0], describe: 'which device' })
        .option('firmware-version', {
          type: 'string',
          describe: firmwareVersionHelp(),
        })
        .option('listening', { type: 'boolean', default: false, describe: 'start in listening mode, as after holding MODE (raw TCP cannot send 28800 baud)' })
        .option('stay-listening', {
          type: 'boolean',
          default: false,
          describe: 'back in listening mode after every restart, as if MODE were held each time',
        })
        .option('listen', { type: 'string', describe: `serve on tcp://HOST:PORT; port 0 picks a free one [default: ${DEFAULT_LISTEN}]` })
        .option('pty', { type: 'string', describe: 'also serve on a pseudo-terminal that carries the line rate (Perl on Linux; socat elsewhere); optional PATH for its link' })
        .option('once', { type: 'boolean', default: false, describe: 'exit after one transfer' })
        .option('image', { type: 'string', describe: 'write the image of an accepted transfer to FILE' })
        .option('seed', { type: 'number', describe: 'seed of the device id and of every fault, to replay a run' })
        .option('drop-ack', { type: 'number', describe: 'probability that an ACK is lost' })
        .option('corrupt', { type: 'number', describe: 'probability that a block is damaged in transit' })
        .option('noise', { type: 'number', describe: 'an application log line every SECONDS' })
        .option('first-answer-ms', { type: 'number', describe: 'hold the first answer back this long (slow devices)' })
        .option('die-after', { type: 'number', describe: 'reset after N data blocks (the USB port goes away)' })
        .option('abort-after', { type: 'number', describe: 'cancel with CAN CAN and a reason after N data blocks' })
        .option('erase-ms', { type: 'number', describe: 'duration of a flash erase' })
        .option('write-ms', { type: 'number', describe: 'duration of writing one block' })
        .option('time-scale', { type: 'number', describe: 'multiply the device timings (0.1: ten times faster)' })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'also print every line the device prints' })
        .epilogue(formatExamples(EMULATE_EXAMPLES, helpWidth(output))) as unknown as Argv<EmulateCommandArgs>,
    handler: async (args) => setExitCode(await runEmulate(args, output, report)),
  };
}

async function runEmulate(args: EmulateCommandArgs, output: Cli['output'], report: Cli['report']): Promise<number> {
  report.note({ profile: args.profile });
  const deviceOptions = deviceOptionsFrom(args);
  const listen = parseListenUrl(args.listen ?? DEFAULT_LISTEN);
  if (args.image === '') throw new InputError('USAGE', '--image needs a file name, e.g. --image out.bin.');
  if (args.image !== undefined) checkWritable(args.image);
  const [{ createVirtualDevice }, { TcpHost }, { servePty }, { tapWire }, summaryModule, render, { EmulationView }] = await Promise.all([
    import('../../emulator/index.js'),
    import('../../emulator/tcp-host.js'),
    import('../../emulator/pty-host.js'),
    import('../../emulator/wire-tap.js'),
    import('../../emulator/received-image.js'),
    import('../render/emulation.js'),
    import('../render/emulation-view.js'),
  ]);
  const view = new EmulationView(report, output.stderr);
  const log = (line: string) => view.line(line);
  const instance = createVirtualDevice(args.profile, deviceOptions);
  const { device, wire, faults, traits } = instance;
  // The tap sits between the device and the TCP host, so the trace holds what crossed the line.
  const served = report.wantsTraffic ? tapWire(wire, view.traffic) : wire;
  let host: Awaited<ReturnType<typeof TcpHost.listen>> | undefined;
  let pty: Awaited<ReturnType<typeof servePty>> | undefined;
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, () => undefined);
  const stopKeys = listenForKeys(device, log);
  try {
    host = await TcpHost.listen(served, { ...listen, device });
    if (args.pty !== undefined) {
      pty = await servePty(host, { link: args.pty === '' ? undefined : args.pty, onLineRate: (rate) => served.onLineCoding?.(rate) });
    }
    const description = instance.describe();
    log(`${capitalize(description)}`);
    log(`Serving it on ${host.url}${pty ? ` and ${pty.path}` : ''} (one client at a time).`);
    report.note({ url: host.url, ...(pty ? { pty: pty.path } : {}) });
    view.event('listening', { url: host.url, ...(pty ? { pty: pty.path } : {}), profile: instance.profile, description, mode: device.mode });
    if (traits.listensOnLineRate && device.mode !== 'listening') {
      log(
        pty?.carriesLineRate
          ? `Raw TCP carries no baud rate, so 28800 baud starts listening mode only through ${pty.path}: over TCP run with --listening for a device that is already listening.`
          : 'Raw TCP and this pty carry no baud rate, so 28800 baud cannot start listening mode: run with --listening for a device that is already listening.',
      );
    }
    if (deviceOptions.faults?.corrupt && !traits.checksBlockCrc) {
      log(`Note: the ${instance.profile} receiver does not check block CRCs, so damaged blocks are stored as they arrive.`);
    }
    if (stopKeys.active) log('Press l here to put it in listening mode, as holding MODE does on a real one.');
    log(args.once ? 'It exits after one transfer (Ctrl-C stops it sooner).' : 'Ctrl-C stops it and prints a summary.');
    render.followActivity(device, host, view, { verbose: args.verbose, listeningKey: stopKeys.active });
    await untilDone(device, host, args.once, controller.signal);
  } finally {
    stopKeys();
    stopListening();
    device.dispose();
    await pty?.close();
    await host?.close();
  }
  const summary = summaryModule.summarizeDevice(device);
  const image = summaryModule.receivedImage(device);
  const imagePath = args.image !== undefined && image !== undefined ? args.image : undefined;
  if (imagePath !== undefined) await writeFile(imagePath, image!);
  else if (args.image !== undefined) log(`No image written to ${args.image}: no transfer was accepted.`);
  return view.finish(summary, { faults, ...(imagePath ? { image: imagePath } : {}) });
}

/** Resolves on Ctrl-C, or with --once after the first verdict and the host hanging up (or ONCE_LINGER_MS). */
function untilDone(
  device: import('../../emulator/virtual-device.js').VirtualDevice,
  host: import('../../emulator/tcp-host.js').TcpHost,
  once: boolean,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    if (!once) return;
    const verdict = () => {
      if (!host.connected) return resolve();
      const timer = setTimeout(resolve, ONCE_LINGER_MS);
      timer.unref(); // a Ctrl-C meanwhile must not keep the process waiting
      host.once('disconnect', () => {
        clearTimeout(timer);
        resolve();
      });
    };
    device.once('transfer-complete', verdict);
    device.once('transfer-failed', verdict);
  });
}

/**
 * Keys typed on the emulator's terminal: `l` is the MODE button (listening mode). The terminal
 * is read raw, so Ctrl-C arrives as a byte and is raised as the signal it would have been —
 * which also keeps the terminal from echoing `^C` into the lines printed after it.
 */
function listenForKeys(device: VirtualDevice, log: (line: string) => void): (() => void) & { active: boolean } {
  const stdin = process.stdin;
  const button = 'enterListeningMode' in device ? (device as VirtualDevice & { enterListeningMode(): void }) : undefined;
  if (!stdin.isTTY) return Object.assign(() => undefined, { active: false });
  stdin.setRawMode(true);
  stdin.resume();
  const onKey = (data: Buffer) => {
    for (const byte of data) {
      if (byte === CTRL_C) process.kill(process.pid, 'SIGINT');
      else if (button && (byte === KEY_L || byte === KEY_L_UPPER)) {
        if (device.mode === 'application') button.enterListeningMode();
        else log(`· l: the device is ${device.mode === 'listening' ? 'already listening' : `busy (${device.mode})`}`);
      }
    }
  };
  stdin.on('data', onKey);
  return Object.assign(
    () => {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    },
    // Whether the l key does something here.
    { active: button !== undefined },
  );
}

const CTRL_C = 0x03;
const KEY_L = 0x6c;
const KEY_L_UPPER = 0x4c;

/** --image is written after a transfer; a path that cannot be written must fail now, not then. */
function checkWritable(path: string): void {
  const refuse = (why: string) => {
    throw new InputError('IMAGE_PATH', `Cannot write the image to ${path} (${why}); choose another path for --image.`, { path });
  };
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing?.isDirectory()) refuse('it is a directory');
  const folder = dirname(resolve(path));
  const parent = statSync(folder, { throwIfNoEntry: false });
  if (!parent) refuse(`the folder ${folder} does not exist`);
  if (!parent!.isDirectory()) refuse(`${folder} is not a folder`);
  try {
    accessSync(existing ? path : folder, fsConstants.W_OK);
  } catch {
    refuse('permission denied');
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
