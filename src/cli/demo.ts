/**
 * `npm run demo`: the main job with no hardware. A virtual Photon runs its application (and
 * logs a little), the real command line flashes fixtures/photon-user-part.bin to it through
 * serialport's stream layer — listening-mode entry, progress bar, the device's own words,
 * the verdict — and then the device is asked what it installed and where.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startVirtualPort } from '../emulator/index.js';
import type { ParticleDevice } from '../emulator/particle-device.js';
import { formatAddress } from '../image/address.js';
import { main } from './main.js';
import { countBytes } from './render/format.js';
import { terminalOutput } from './output.js';

/** Device timeouts and restart delays at a fifth of the real ones, so the demo takes seconds. */
const DEMO_TIME_SCALE = 0.2;
/** An application log line this often (seconds): enough to show the flasher reads past it. */
const DEMO_NOISE_SECONDS = 0.8;
/** Erasing the 128 KB OTA area takes about a second on an STM32F2; shortened. */
const DEMO_ERASE_MS = 400;
/** Per 1 KB block: Device OS writes each block to flash before it ACKs. */
const DEMO_WRITE_MS = 150;
/** USB full-speed CDC moves far more, but a line rate keeps the progress bar visible. */
const DEMO_BYTES_PER_SECOND = 10_000;

const FIXTURE = fileURLToPath(new URL('../../../fixtures/photon-user-part.bin', import.meta.url));

async function demo(): Promise<number> {
  const output = terminalOutput();
  const say = (line = '') => output.stdout.write(`${line}\n`);
  const port = startVirtualPort('photon', {
    timeScale: DEMO_TIME_SCALE,
    noise: DEMO_NOISE_SECONDS,
    eraseMs: DEMO_ERASE_MS,
    writeMs: DEMO_WRITE_MS,
    bytesPerSecond: DEMO_BYTES_PER_SECOND,
  });
  const photon = port.device as ParticleDevice;
  try {
    say(`A virtual Photon (Device OS ${photon.identity.systemVersion}) is running its application on ${port.path}.`);
    say(`$ serial-flash ${port.path} fixtures/photon-user-part.bin`);
    say();
    const code = await main([port.path, FIXTURE], output, { binding: port.binding });
    say();
    const { text, installedIntact } = describeOutcome(photon);
    say(text);
    return code === 0 && !installedIntact ? 1 : code;
  } finally {
    port.close();
  }
}

/** What the device holds now, read from its flash model; `installedIntact` when the user part equals the file. */
function describeOutcome(photon: ParticleDevice): { text: string; installedIntact: boolean } {
  const record = photon.lastTransfer;
  if (record === undefined) return { text: 'The virtual Photon received nothing.', installedIntact: false };
  if (record.status !== 'accepted') return { text: `The virtual Photon did not take it: ${record.reason ?? record.status}.`, installedIntact: false };
  const lines = ['What the virtual Photon did:'];
  lines.push(`  received ${record.name}, ${countBytes(record.size ?? 0)}, into its OTA area at ${formatAddress(record.address!)}`);
  if (record.installedAt === undefined) {
    lines.push(`  did not install it: ${record.notInstalled ?? 'no reason given'}`);
    return { text: lines.join('\n'), installedIntact: false };
  }
  const installed = photon.flash.read(record.installedAt, record.size!);
  const same = installed.equals(readFileSync(FIXTURE));
  lines.push(`  checked its module header and CRC-32, installed it at ${formatAddress(record.installedAt)} (the user part) and restarted`);
  lines.push(`  sha256 ${record.sha256}: ${same ? 'the user part now holds the file byte for byte' : 'BUT the user part differs from the file'}`);
  return { text: lines.join('\n'), installedIntact: same };
}

process.exitCode = await demo();
