/**
 * `npm run bench`: measures serial-flash the way users feel it and writes BENCHMARKS.md.
 *
 *   node dist/test/bench/run.js [--quick] [--out FILE]
 *
 * --quick: smaller files and fewer repeats (a minute or so instead of several), for a check
 * rather than the record. Not a test: under `npm test` (node --test loads every file below
 * test/) the entry points do nothing.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { preciseTimers } from '../../src/emulator/precise-timer.js';
import { hasCommand } from '../helpers/system-tools.js';
import { imageDir } from './images.js';
import { manyDevices } from './many-devices.js';
import { particleCases, particleUsb } from './particle-usb.js';
import { cpuDuringTransfer, memory, startup, timeToFirstBlock } from './process-runs.js';
import { linkCases, throughput } from './throughput.js';
import { LOST_ACK_NOTE, lostAckCost, lostAckDialects, lostAckSeeds, lostAcksPerRun } from './lost-acks.js';
import { load, machine, percent, seconds } from './stats.js';
import { blockMs } from './theory.js';
import { realUBootAgainstSb, transferBaudSpeedup } from './uboot.js';
import { realUBootMissing } from '../helpers/uboot-console.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1]! : fileURLToPath(new URL('../../../BENCHMARKS.md', import.meta.url));
const repeats = quick ? 1 : 3;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Target {
  name: string;
  ok: boolean;
  detail: string;
}

async function main(): Promise<void> {
  preciseTimers.warmUp();
  const startedAt = new Date();
  const loadBefore = load();
  const images = imageDir();
  const targets: Target[] = [];
  const sections: string[] = [];
  const socat = hasCommand('socat');
  try {
    log('throughput on a paced line (serial-flash and lrzsz sb, interleaved)…');
    const link = await throughput(images, linkCases(quick), repeats, log);
    targets.push(...link.checks);
    sections.push(`## Throughput on a paced serial line\n\n${THROUGHPUT_NOTE}\n\n${link.markdown}`);

    log('time lost per lost ACK…');
    const lostAcks = await lostAckCost(images, lostAckDialects(quick), lostAckSeeds(quick), lostAcksPerRun(quick), log);
    for (const cost of lostAcks.costs) {
      targets.push({ name: `time lost per lost ACK < 2 s at the default options: ${cost.name}`, ok: cost.msPerLostAck < 2_000 && cost.failures === 0, detail: `${seconds(cost.msPerLostAck)}${cost.failures ? `, ${cost.failures} runs failed` : ''}` });
    }
    sections.push(`## Time lost per lost ACK\n\n${LOST_ACK_NOTE}\n\n${lostAcks.markdown}`);

    log('U-Boot: --transfer-baud on a paced line…');
    const baud = await transferBaudSpeedup(images.dir, quick ? 32 * 1024 : 128 * 1024, 921_600, log);
    targets.push(...baud.checks);
    const ubootParts = [`${UBOOT_BAUD_NOTE}\n\n${baud.markdown}`];
    const noUBoot = realUBootMissing();
    if (noUBoot || !hasCommand('sb')) {
      ubootParts.push(`The real-U-Boot comparison was left out: ${noUBoot || 'it needs lrzsz (apt-get install lrzsz)'}.`);
    } else {
      log('U-Boot: serial-flash and sb into a real U-Boot (QEMU)…');
      const real = await realUBootAgainstSb(images.dir, 300_001, repeats, log);
      targets.push(...real.checks);
      ubootParts.push(`${UBOOT_REAL_NOTE}\n\n${real.markdown}`);
    }
    sections.push(`## U-Boot\n\n${ubootParts.join('\n\n')}`);

    log('Particle USB model…');
    sections.push(`## Particle over USB: 1K blocks against 128-byte blocks\n\n${PARTICLE_NOTE}\n\n${await particleUsb(images, particleCases(quick), repeats, log)}`);

    if (socat) {
      log('time to first block…');
      const first = await timeToFirstBlock(images, quick ? 3 : 7);
      sections.push(`## Time to first block\n\n${FIRST_BLOCK_NOTE}\n\n${first.markdown}`);
    }

    log('start-up…');
    const start = startup(quick ? 9 : 21);
    targets.push({ name: '`--help` ≤ 3× a bare `node -e 0`', ok: start.ratio <= 3, detail: `${start.ratio.toFixed(2)}×` });
    sections.push(`## Start-up\n\n${STARTUP_NOTE}\n\n${start.markdown}`);

    if (socat) {
      log('memory…');
      const mem = await memory(images, 4 * 1024 * 1024);
      targets.push({ name: 'peak RSS ≤ 100 MB while sending 4 MiB', ok: mem.bigRssMb <= 100, detail: `${mem.bigRssMb.toFixed(1)} MB` });
      sections.push(`## Memory\n\n${MEMORY_NOTE}\n\n${mem.markdown}`);
    }

    log('several devices at once…');
    const many = await manyDevices(images, { baud: 115_200, latencyMs: 1 }, quick ? 16 * 1024 : 32 * 1024, [1, 4], log);
    sections.push(`## Several devices at once\n\n${MANY_NOTE}\n\n${many}`);

    log('CPU during a paced transfer…');
    const cpuParts = [`${CPU_NOTE}`];
    const cpu = socat ? await cpuDuringTransfer(images, { baud: 115_200, latencyMs: 1 }, quick ? 16 * 1024 : 64 * 1024) : undefined;
    if (cpu) {
      targets.push({ name: 'CPU ≪ 10% of wall time during a paced transfer (met below 5%)', ok: cpu.share < 0.05, detail: percent(cpu.share, 2) });
      cpuParts.push(cpu.markdown);
    }
    const inProcess = link.cpuShare.map((c) => `- ${c.name}: ${percent(c.share, 1)}`).join('\n');
    cpuParts.push(`In-process runs of the throughput table (one process: sender, virtual receiver and line pacing together; \`process.cpuUsage()\` over the session):\n\n${inProcess}`);
    sections.push(`## CPU time against wall time\n\n${cpuParts.join('\n\n')}`);
  } finally {
    images.remove();
  }
  const targetTable = ['| target | result | |', '| --- | --- | --- |', ...targets.map((t) => `| ${t.name} | ${t.detail} | ${t.ok ? 'met' : '**missed**'} |`)].join('\n');
  const missing = socat ? '' : '\n\nsocat is not installed, so the sections that run the CLI on a pseudo-terminal were left out (apt-get install socat).';
  const document = [
    '# Benchmarks',
    `Written by \`npm run bench\`${quick ? ' --quick' : ''} on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    `Machine: ${machine()}. Load average (1/5/15 min) before: ${loadBefore}, after: ${load()}.` +
      ' Other programs were running; every timing is a median of repeated, interleaved runs.',
    `## Targets\n\n${targetTable}${missing}`,
    ...sections,
    `## How the YMODEM bound is computed\n\n${THEORY_NOTE}`,
  ].join('\n\n');
  process.stdout.write(`${document}\n`);
  writeFileSync(out, `${document}\n`);
  log(`written to ${out}`);
}

const THROUGHPUT_NOTE = [
  'The virtual `ymodem` receiver (lrzsz `rb`\'s behaviour: CRC-16, NAK then ACK for EOT, `C` after the header and after EOT) sits behind a line that carries baud/10 bytes per second each way and adds a fixed one-way latency to every chunk (`PacedLine`: each chunk arrives when its last byte would, deadlines kept to about 0.03 ms by a worker thread rather than setTimeout\'s whole milliseconds).',
  'serial-flash runs through the library\'s `flash()` and serialport\'s stream over the virtual binding; lrzsz `sb --ymodem` (`-k` for 1K blocks) runs as a child whose stdin/stdout are bridged to the same kind of device through the same `PacedLine` code.',
  'Both are timed the same way, at the device: from the moment the header\'s first byte entered the line to the moment the end-of-batch ACK got back. "of bound" is the YMODEM bound for that block size and latency (below) divided by the measured time.',
].join(' ');

const PARTICLE_NOTE = [
  'The virtual Photon (Device OS 0.6.1+, already in listening mode) writes each block to its flash model before it ACKs, taking the given time per write; USB CDC has no line rate, so only a 1 ms latency each way is added.',
  'Timed from the first data block to the last one\'s ACK (the `data` and `eot` phase events of `flash()`).',
  `The old Particle CLI sent 128-byte blocks: eight times as many writes and round trips. (For scale: at 115200 baud a 1K block costs ${blockMs({ baud: 115_200, latencyMs: 1 }, 1024).toFixed(1)} ms on the wire alone.)`,
].join(' ');

const UBOOT_BAUD_NOTE = [
  'The emulated U-Boot (U-Boot 2023.01\'s behaviour, QEMU virt board) behind a virtual line paced at whatever rate the host sets, baud/10 bytes per second each way plus a fixed one-way latency; `flash()` in this process, once at the console\'s 115200 and once with `--transfer-baud 921600` (`loady ADDR 921600`, the switch on Enter and back on ESC), on a line without latency and on one with 1 ms each way (a USB serial adapter).',
  '"transfer" runs from the first block to the last ACK; "whole" from the call to the verified result (prompt, switch, load, switch back, crc32).',
  'YMODEM waits for each block\'s ACK, so every block pays one round trip whatever the rate: the speed-up a line allows is the time of a 1K block at 115200 over its time at 921600, each with its round trip (theory below). That is 8× (921600 / 115200) only on a line without latency; at 1 ms each way it is 6.94×, at 2 ms 6.2×, at 16 ms (an FTDI adapter\'s default latency timer) 2.8×. Beyond that bound only a streaming protocol (YMODEM-G, which U-Boot\'s loady does not offer) goes faster.',
].join(' ');

const UBOOT_REAL_NOTE = [
  'Debian\'s U-Boot 2023.01 (`u-boot-qemu`) in `qemu-system-arm -M virt`, its console on a pseudo-terminal, which QEMU does not pace (the emulated CPU and QEMU\'s UART set the pace). serial-flash is timed as a user feels it: from spawning `serial-flash PTY image.bin -t uboot -a 0x40200000` to its exit, so it includes finding the prompt, typing `loady`, the transfer, U-Boot\'s summary and the `crc32` verification.',
  '`sb --ymodem -k` is timed from its spawn, after `loady 40200000` was typed for it and U-Boot had said it was ready, to its exit: the bare transfer. Runs alternate; medians shown. U-Boot sends no `C` after the header\'s ACK until its own timeouts (4.25 s); sb waits for one, serial-flash sends block 1 at once.',
].join(' ');

const FIRST_BLOCK_NOTE = [
  'A listening virtual Photon behind a real pseudo-terminal (socat), flashed by a child process. The instrumented child loads what the CLI loads for a flash, calls `flash()` and stamps each event with the epoch clock, which this process compares with the moment it spawned the child; the last line times the real `serial-flash PORT image.bin` from spawn until the device accepts the header.',
  'Most of the time is the deliberate wait for the device to stay quiet for 300 ms before `f` (an application still printing, or a device still switching to listening mode, would otherwise swallow it).',
].join(' ');

const STARTUP_NOTE =
  'Wall time of the whole process, spawned the same way each time, interleaved with a bare `node -e 0` on the same machine. yargs is loaded on a lighter platform layer (src/cli/yargs-lite.ts: same factory, parser, layout and strings, without string-width/wrap-ansi/emoji-regex), and no device or emulator code is loaded for help.';

const MEMORY_NOTE =
  'Peak resident set size of the real CLI process (`process.resourceUsage().maxRSS`, reported as it exits) sending to the virtual `ymodem` receiver over an unpaced pseudo-terminal. The image is read whole before the first block (at most 64 MiB), so memory grows with the file.';

const MANY_NOTE =
  'Each device on its own paced port (115200 baud, 1 ms latency, 1K blocks) of one virtual binding, all flashed by concurrent `flash()` calls in one process; sessions timed at each device as in the throughput table.';

const CPU_NOTE =
  'The real CLI as a child process on a pseudo-terminal paced at the line rate; its CPU time is the sum over all its threads (`/proc/PID/task/*/schedstat`), sampled when the device accepts the header and when it completes the batch, so start-up is not counted.';

const THEORY_NOTE = [
  'With b = 10 bits / baud per byte (start, 8 data, stop) and L the one-way latency, every exchange costs its bytes on the wire in both directions plus one round trip:',
  '',
  '- data block of S payload bytes: (S + 5)·b (STX/SOH, sequence, complement, CRC-16) + 1·b (ACK) + 2L',
  '- header (block 0, 128 bytes): 133·b + 2·b (ACK, C) + 2L',
  '- end of file: EOT + NAK, then EOT + ACK + C: 5·b + 4L',
  '- end of batch (empty block 0): 133·b + 1·b + 2L',
  '',
  'T = header + ⌈size / S⌉ · block(S) + end of file + end of batch, with the receiver\'s own processing taken as zero.',
  `For 1K blocks at 115200 baud and L = 1 ms a block costs ${blockMs({ baud: 115_200, latencyMs: 1 }, 1024).toFixed(2)} ms: ${Math.round(1024 / (blockMs({ baud: 115_200, latencyMs: 1 }, 1024) / 1000)).toLocaleString('en-US')} B/s, ${percent(1024 / (blockMs({ baud: 115_200, latencyMs: 1 }, 1024) / 1000) / 11_520)} of the 11,520 B/s the line carries.`,
].join('\n');

// `node --test dist/test/` loads every file under a test/ directory: a benchmark is not a test.
if (!process.env.NODE_TEST_CONTEXT) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
