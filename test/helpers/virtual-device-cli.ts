/**
 * A real serial-flash process talking to a virtual device in the same process, for tests that
 * need signals (Ctrl-C, SIGTERM) and real exits:
 *
 *   node dist/test/helpers/virtual-device-cli.js SPEC_JSON -- SERIAL-FLASH-ARGS…
 *
 * SPEC_JSON: { profile, device?: startVirtualPort options, report?: path, hangOnClose?: bool }.
 * The port is /dev/virtual-<profile>. Each block the device stores is announced on stderr as
 * "[virtual device] stored block N" so a test knows the transfer is under way. When main()
 * returns, the device's view (what it heard, its line codings, closes, transfers) is written
 * as JSON to `report`; a process that exits any other way writes none.
 */
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli/main.js';
import { startVirtualPort, type StartVirtualPortOptions } from '../../src/emulator/index.js';
import { DeviceView, parseHostFraming } from '../reliability/observe.js';

export interface HarnessSpec {
  profile: string;
  device?: StartVirtualPortOptions;
  report?: string;
  /** The port's close never completes, as with a wedged USB driver: only a second Ctrl-C ends the process. */
  hangOnClose?: boolean;
}

export interface HarnessReport {
  exitCode: number;
  /** Whole blocks, then CANs, as the device heard them. */
  framing: ReturnType<typeof parseHostFraming>;
  /** Bytes the host sent after its last whole block. */
  bytesAfterLastBlock: number;
  lineCodings: number[];
  hostCloses: number;
  vanished: boolean;
  transfers: ReturnType<ReturnType<typeof startVirtualPort>['device']['summary']>['transfers'];
  mode: string;
}

const separator = process.argv.indexOf('--');
const spec = JSON.parse(process.argv[2]!) as HarnessSpec;
const argv = process.argv.slice(separator + 1);

const port = startVirtualPort(spec.profile, spec.device);
const view = new DeviceView(port.device);
port.device.on('block', (block) => process.stderr.write(`[virtual device] stored block ${block.sequence}\n`));
if (spec.hangOnClose) {
  const open = port.binding.open.bind(port.binding);
  port.binding.open = async (options) => {
    const opened = await open(options);
    // A close stuck in the driver keeps the process alive, as the native binding's pending work would.
    opened.close = () => new Promise<void>(() => setInterval(() => undefined, 1_000));
    return opened;
  };
}

const exitCode = await main(argv, undefined, { binding: port.binding });
// The device answers a cancel (ACK, its own CANs and text) a moment later.
await new Promise((resolve) => setTimeout(resolve, 100));
if (spec.report) {
  const host = view.hostBytes();
  const framing = parseHostFraming(host);
  const report: HarnessReport = {
    exitCode,
    framing,
    bytesAfterLastBlock: framing.cancelAt === undefined ? 0 : host.length - framing.cancelAt,
    lineCodings: view.lineCodings,
    hostCloses: view.hostCloses,
    vanished: view.vanished,
    transfers: port.device.summary().transfers,
    mode: port.device.mode,
  };
  writeFileSync(spec.report, JSON.stringify(report));
}
port.close();
process.exitCode = exitCode;
