/** `serial-flash [PORT] FILE`: the main command, a thin layer over flash(). */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CancelledError, InputError } from '../../errors.js';
import type { BlockSize } from '../../protocol/blocks.js';
import { statSync } from 'node:fs';
import { EXIT, EXIT_CODE_MEANINGS, exitCodeFor } from '../exit-codes.js';
import { type Example, formatDefinitions, formatExamples, helpWidth } from '../help.js';
import { PROTOCOL_NAMES, type ProtocolName } from '../../protocol/protocols.js';
import type { Cli } from '../output.js';
import { cancellingNote, onInterrupt } from '../interrupt.js';
import { parseAddressOption, secondsToMs } from '../options.js';
import { onCommandLine, SETTINGS_HELP } from '../settings.js';
import { profiles, recognisedFamilies, targetNames } from '../../devices/registry.js';
import { portExamples } from '../../transport/registry.js';

/** `--wait` alone: long enough for a USB device to reset and re-enumerate, even on a slow hub. */
const DEFAULT_WAIT_SECONDS = 30;

/** The targets and what each is for, from the device registry. */
function targetMeanings(): [string, string][] {
  return [['auto', "from the port's USB id, else from the image, else plain YMODEM"], ...profiles().map((p): [string, string] => [p.name, p.aliases?.length ? `${p.summary}; also -t ${p.aliases.join(', -t ')}` : p.summary])];
}

const flashExamples = (): readonly Example[] => [
  ['serial-flash /dev/ttyACM0 firmware.bin', `flash a ${recognisedFamilies()} (its receiver is started for you)`],
  ['serial-flash firmware.bin', 'the same, when exactly one device is connected'],
  ['serial-flash firmware.bin --all', 'flash every connected device at once, then show a table'],
  ...profiles().flatMap(({ example }) => (example ? [[`serial-flash ${example[0]}`, example[1]] as const] : [])),
];

export interface FlashArgs {
  PORT?: string;
  FILE?: string;
  port?: string | string[];
  all: boolean;
  target: string;
  address?: string;
  trigger?: string;
  baud: number;
  protocol?: string;
  blockSize?: number;
  transferBaud?: number;
  retries?: number;
  fullLastBlock?: boolean;
  startRequests?: number;
  timeout?: number;
  startTimeout?: number;
  wait?: string;
  force: boolean;
  dryRun: boolean;
  verify?: boolean;
  quiet: boolean;
  verbose: boolean;
}

export function flashCommand(cli: Cli): CommandModule<object, FlashArgs> {
  return {
    command: '$0 [PORT] [FILE]',
    describe: `flash FILE through PORT (${portExamples()})`,
    builder: (yargs: Argv) =>
      yargs
        .positional('PORT', { type: 'string', describe: `serial port; omit it when exactly one ${recognisedFamilies()} is connected` })
        .positional('FILE', { type: 'string', describe: 'firmware image (.bin)' })
        .option('port', { alias: 'p', type: 'string', describe: 'a port to flash; repeat it (or separate with commas) to flash several at once' })
        .option('all', { type: 'boolean', default: false, describe: `flash every recognised ${recognisedFamilies()} at once` })
        .option('target', { alias: 't', type: 'string', choices: targetNames(), default: 'auto', describe: 'device type (auto: from the USB id, else the image)' })
        .option('address', { alias: 'a', type: 'string', describe: 'flash address, e.g. 0x08005000 (checked against the image; sent to consoles)' })
        .option('trigger', { type: 'string', describe: 'console command that starts the receiver; {address} {size} {name} are filled in' })
        .option('baud', { alias: 'b', type: 'number', default: 115200, describe: 'line rate' })
        .option('transfer-baud', { type: 'number', describe: 'line rate for the transfer alone, where the receiver can switch; back to --baud after it' })
        .option('protocol', { type: 'string', choices: PROTOCOL_NAMES, describe: 'transfer protocol [default: ymodem]' })
        .option('block-size', { type: 'number', choices: [128, 1024], describe: 'data block size [default: 1024; 128 for xmodem]' })
        .option('full-last-block', { type: 'boolean', describe: 'send the last block at full size too, padded (receivers that miscount a short one, like ST SBSFU)' })
        .option('start-requests', { type: 'number', describe: "start after N requests (C or NAK) in a row, for a receiver whose banner may hold a C [default: 1]" })
        .option('retries', { type: 'number', describe: 'attempts per block before giving up [default: 10]' })
        .option('timeout', { type: 'number', describe: 'seconds to wait for each answer [default: 10]' })
        .option('start-timeout', { type: 'number', describe: 'seconds to wait for the receiver to start [default: 60]' })
        .option('wait', { type: 'string', describe: `wait for the port to appear or come free: --wait alone waits up to ${DEFAULT_WAIT_SECONDS} s, --wait SECONDS that long (off unless given)` })
        .option('force', { type: 'boolean', default: false, describe: 'send even what the image and address checks refuse' })
        .option('dry-run', { alias: 'n', type: 'boolean', default: false, describe: 'run every check and show the plan; send nothing' })
        .option('verify', { type: 'boolean', describe: "confirm the load with the device's own check: a quick one (a CRC of what it holds) runs unless --no-verify; one that waits for a restart (asking what it installed) only with --verify" })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the result' })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'say what is chosen and why, and every retry' })
        .epilogue(
          [
            formatExamples(flashExamples(), helpWidth(cli.output)),
            formatDefinitions('Targets (--target):', targetMeanings(), helpWidth(cli.output)),
            formatDefinitions('Exit codes:', EXIT_CODE_MEANINGS, helpWidth(cli.output)),
            SETTINGS_HELP,
          ].join('\n\n'),
        ) as unknown as Argv<FlashArgs>,
    handler: async (args: ArgumentsCamelCase<FlashArgs>) => {
      cli.setExitCode(await runFlash(args, cli));
    },
  };
}

async function runFlash(args: FlashArgs, cli: Cli): Promise<number> {
  const { file, ports, portTyped } = await choosePorts(args, cli);
  const options = {
    file,
    target: args.target,
    address: parseAddressOption(args.address),
    trigger: args.trigger,
    baudRate: args.baud,
    protocol: args.protocol as ProtocolName | undefined,
    blockSize: args.blockSize as BlockSize | undefined,
    transferBaud: args.transferBaud,
    retries: args.retries,
    dialect: { fullLastBlock: args.fullLastBlock, startRequests: args.startRequests },
    responseTimeoutMs: secondsToMs('--timeout', args.timeout),
    startTimeoutMs: secondsToMs('--start-timeout', args.startTimeout),
    waitMs: args.wait === undefined ? undefined : secondsToMs('--wait', args.wait === '' ? DEFAULT_WAIT_SECONDS : Number(args.wait)),
    force: args.force,
    dryRun: args.dryRun,
    verify: args.verify,
    trace: cli.report.wantsTraffic,
    binding: cli.binding,
  };
  if (ports.length > 1 || args.all) {
    const { runFlashMany } = await import('./flash-many.js');
    return runFlashMany({ ...options, ports }, args, cli);
  }
  const [{ flash }, { FlashView }] = await Promise.all([import('../../flash/flash.js'), import('../render/flash-view.js')]);
  const requested = { port: ports[0], target: args.target, address: options.address };
  const origins = {
    port: portTyped ? undefined : cli.origins.of('port', ['p']),
    target: cli.origins.fromOutside('target', ['t']) ? cli.origins.of('target', ['t']) : undefined,
  };
  const view = new FlashView(cli.report, { quiet: args.quiet, verbose: args.verbose, requested, origins });
  await view.prepare();
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, (signal) => {
    view.stop();
    cli.output.error(cancellingNote(signal, 'telling the device to discard the transfer'));
  });
  try {
    const outcome = await flash({ ...options, port: ports[0], signal: controller.signal, onEvent: view.onEvent });
    if ('dryRun' in outcome) view.dryRun(outcome.plan);
    else view.success(outcome);
    return EXIT.ok;
  } catch (error) {
    const failure = controller.signal.aborted && !(error instanceof CancelledError) ? new CancelledError('The transfer was cancelled.', {}, { cause: error }) : error;
    view.failure(failure, exitCodeFor(failure));
    throw failure;
  } finally {
    stopListening();
  }
}

/**
 * FILE is the last positional; a first one is the port. `--port` adds ports; from the
 * environment or a config file it applies only when no port was typed.
 */
async function choosePorts(args: FlashArgs, { argv, binding }: Cli): Promise<{ file: string; ports: string[]; portTyped: boolean }> {
  const positionals = [args.PORT, args.FILE].filter((value): value is string => value !== undefined);
  const file = positionals.at(-1);
  if (file === undefined) {
    throw new InputError('USAGE', 'Name the firmware file to flash, e.g. serial-flash /dev/ttyACM0 firmware.bin (see serial-flash --help).');
  }
  const named = positionals.length === 2 ? [positionals[0]!] : [];
  refuseMisplacedPort(file, named[0]);
  const { checkPortName } = await import('../../transport/open.js');
  const typed = onCommandLine(argv, 'port', ['p']);
  const optionPorts = [args.port ?? []].flat().flatMap((value) => String(value).split(',')).map((port) => port.trim()).filter(Boolean);
  if (args.all) {
    if (named.length > 0 || typed) throw new InputError('USAGE', '--all flashes every recognised device; leave out the ports, or leave out --all.');
    const { findAllDevices } = await import('../../flash/discover.js');
    return { file, ports: (await findAllDevices(binding)).map((device) => device.path), portTyped: false };
  }
  const ports = named.length > 0 ? [...named, ...(typed ? optionPorts : [])] : optionPorts;
  // Every name checked before any device is touched, so one typo does not leave the rest half done.
  ports.forEach(checkPortName);
  return { file, ports, portTyped: named.length > 0 || typed };
}

/**
 * The two mistakes that otherwise end in a confusing file error: the port and the file
 * swapped, and the port given without a file.
 */
function refuseMisplacedPort(file: string, port: string | undefined): void {
  if (!looksLikePort(file)) return;
  if (port !== undefined && isRegularFile(port)) {
    throw new InputError('USAGE', `${file} is a port and ${port} a file: did you mean serial-flash ${file} ${port}?`);
  }
  if (port === undefined) {
    throw new InputError('USAGE', `Name the firmware file to flash to ${file}, e.g. serial-flash ${file} firmware.bin.`);
  }
}

/** A device path, a COM port or a URL, as opposed to a firmware file (which may not exist yet). */
function looksLikePort(name: string): boolean {
  if (/^(\/dev\/|COM\d+$|[a-z][a-z0-9+.-]*:\/\/)/i.test(name)) return !isRegularFile(name);
  return statSync(name, { throwIfNoEntry: false })?.isCharacterDevice() ?? false;
}

function isRegularFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
