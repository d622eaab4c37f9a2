/**
 * Sections that run serial-flash as its own process, as a user does: start-up against a bare
 * Node, time to the first block, peak memory for a large image, and CPU time during a paced
 * transfer. Devices sit behind real pseudo-terminals (pty-device.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import { monotonicMs } from '../../src/emulator/precise-timer.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { testData } from '../helpers/virtual-link.js';
import { type ImageDir, photonUserPart } from './images.js';
import { ptyDevice } from './pty-device.js';
import { kib, median, ms, percent, seconds, table } from './stats.js';
import type { LineSpec } from './theory.js';

const BIN = fileURLToPath(new URL('../../../bin/serial-flash', import.meta.url));
const FIRST_BLOCK_CHILD = fileURLToPath(new URL('./first-block-child.js', import.meta.url));
const RSS_REPORT = fileURLToPath(new URL('./rss-report.js', import.meta.url));
/** A child that has not finished by then is stuck; the benchmark says so rather than hang. */
const CHILD_DEADLINE_MS = 120_000;

const epochMs = () => performance.timeOrigin + performance.now();

interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[], onSpawn?: (pid: number) => void): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${CHILD_DEADLINE_MS / 1000} s`));
    }, CHILD_DEADLINE_MS);
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Start-up ------------------------------------------------------------------------------------

export function startup(runs: number): { markdown: string; ratio: number } {
  const time = (args: string[]) => {
    const started = monotonicMs();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
    return monotonicMs() - started;
  };
  const bare: number[] = [];
  const help: number[] = [];
  const version: number[] = [];
  time([BIN, '--help']); // warm the file cache
  for (let i = 0; i < runs; i++) {
    bare.push(time(['-e', '0']));
    help.push(time([BIN, '--help']));
    version.push(time([BIN, '--version']));
  }
  const base = median(bare);
  const row = (what: string, values: number[]) => [what, ms(median(values), 1), `${(median(values) / base).toFixed(2)}×`];
  return {
    markdown: table(['command', `median of ${runs}`, 'against node -e 0'], [row('`node -e 0`', bare), row('`serial-flash --help`', help), row('`serial-flash --version`', version)]),
    ratio: median(help) / base,
  };
}

// Time to first block ------------------------------------------------------------------------

interface FirstBlockMarks {
  script: number;
  loaded: number;
  open: number;
  listening: number;
  headerAcked: number;
}

/** The instrumented child: where the time goes, step by step. */
async function firstBlockSteps(file: string): Promise<FirstBlockMarks & { spawned: number }> {
  const pty = await ptyDevice<ParticleDevice>('photon', { listening: true, eraseMs: 0, writeMs: 0 });
  try {
    const spawned = epochMs();
    const run = await runChild([FIRST_BLOCK_CHILD, pty.path, file]);
    if (run.code !== 0) throw new Error(`the first-block child failed: ${run.stderr}`);
    return { spawned, ...(JSON.parse(run.stdout) as FirstBlockMarks) };
  } finally {
    await pty.close();
  }
}

/** The real CLI, timed from outside: spawn to the device accepting the header. */
async function firstBlockCli(file: string): Promise<number> {
  const pty = await ptyDevice<ParticleDevice>('photon', { listening: true, eraseMs: 0, writeMs: 0 });
  try {
    let headerAt = 0;
    let child: { kill(): void } | undefined;
    pty.device.once('transfer-start', () => {
      headerAt = monotonicMs();
      child?.kill();
    });
    const started = monotonicMs();
    const proc = spawn(process.execPath, [BIN, pty.path, file], { stdio: 'ignore' });
    child = proc;
    await new Promise((resolve) => proc.on('close', resolve));
    if (!headerAt) throw new Error('the CLI never got the header accepted');
    return headerAt - started;
  } finally {
    await pty.close();
  }
}

export async function timeToFirstBlock(images: ImageDir, runs: number): Promise<{ markdown: string; totalMs: number }> {
  const file = images.write('photon-first-block.bin', photonUserPart(16 * 1024));
  const steps: Record<string, number[]> = { node: [], modules: [], open: [], listening: [], header: [], total: [] };
  const cli: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await firstBlockSteps(file);
    steps.node!.push(m.script - m.spawned);
    steps.modules!.push(m.loaded - m.script);
    steps.open!.push(m.open - m.loaded);
    steps.listening!.push(m.listening - m.open);
    steps.header!.push(m.headerAcked - m.listening);
    steps.total!.push(m.headerAcked - m.spawned);
    cli.push(await firstBlockCli(file));
  }
  const rows = [
    ['Node start (spawn to the first line of the script)', ms(median(steps.node!), 1)],
    ['module loading (the CLI entry and flash())', ms(median(steps.modules!), 1)],
    ['image checks and port open', ms(median(steps.open!), 1)],
    ["listening-mode entry (drain until 300 ms quiet, 'f', prompt)", ms(median(steps.listening!), 1)],
    ['header sent and acknowledged', ms(median(steps.header!), 1)],
    ['**total, instrumented run**', `**${ms(median(steps.total!), 1)}**`],
    ['total, the real CLI (`serial-flash PTY image.bin`, spawn to header accepted)', ms(median(cli), 1)],
  ];
  return { markdown: table(['step', `median of ${runs}`], rows), totalMs: median(cli) };
}

// Memory ----------------------------------------------------------------------------------------

async function peakRss(file: string, data: Buffer): Promise<{ rssMb: number; elapsedMs: number }> {
  const pty = await ptyDevice<YmodemDevice>('ymodem', { once: true, timeScale: 0.05 });
  try {
    const started = monotonicMs();
    const run = await runChild(['--import', RSS_REPORT, BIN, pty.path, file, '--target', 'ymodem', '--quiet']);
    const elapsedMs = monotonicMs() - started;
    if (run.code !== 0) throw new Error(`serial-flash failed: ${run.stderr}`);
    const received = pty.device.files[0]?.data;
    if (!received?.equals(data)) throw new Error('the virtual receiver did not get the image intact');
    const kb = Number(/serial-flash-bench maxRSS (\d+)/.exec(run.stderr)?.[1]);
    return { rssMb: kb / 1024, elapsedMs };
  } finally {
    await pty.close();
  }
}

export async function memory(images: ImageDir, bigBytes: number): Promise<{ markdown: string; bigRssMb: number }> {
  const rows: string[][] = [];
  let bigRssMb = 0;
  for (const bytes of [64 * 1024, bigBytes]) {
    const data = testData(bytes, 77);
    const { rssMb, elapsedMs } = await peakRss(images.write(`memory-${bytes}.bin`, data), data);
    if (bytes === bigBytes) bigRssMb = rssMb;
    rows.push([kib(bytes), `${rssMb.toFixed(1)} MB`, seconds(elapsedMs)]);
  }
  return { markdown: table(['image', 'peak RSS of the serial-flash process', 'run time (unpaced pty)'], rows), bigRssMb };
}

// CPU -------------------------------------------------------------------------------------------

/** CPU time of every thread of a process, in ms (Linux: /proc/PID/task/TID/schedstat, in ns). */
function processCpuMs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return total;
}

export async function cpuDuringTransfer(images: ImageDir, line: LineSpec, bytes: number): Promise<{ markdown: string; share: number } | undefined> {
  if (process.platform !== 'linux') return undefined;
  const data = testData(bytes, 5);
  const file = images.write(`cpu-${bytes}.bin`, data);
  // 0.2: the receiver's intra-block timeout (200 ms) must outlast a frame split by the pty at 115200 baud.
  const pty = await ptyDevice<YmodemDevice>('ymodem', { once: true, timeScale: 0.2 }, line);
  try {
    let pid = 0;
    let start: { at: number; cpu: number } | undefined;
    let end: { at: number; cpu: number } | undefined;
    pty.device.once('transfer-start', () => (start = { at: monotonicMs(), cpu: processCpuMs(pid) }));
    pty.device.once('transfer-complete', () => (end = { at: monotonicMs(), cpu: processCpuMs(pid) }));
    const run = await runChild([BIN, pty.path, file, '--target', 'ymodem', '--baud', String(line.baud), '--quiet'], (p) => (pid = p));
    if (run.code !== 0 || !start || !end) throw new Error(`serial-flash failed: ${run.stderr}`);
    const wall = end.at - start.at;
    const cpu = end.cpu - start.cpu;
    const share = cpu / wall;
    const markdown = table(
      ['transfer', 'wall time', 'CPU time (all threads)', 'CPU / wall'],
      [[`${kib(bytes)} at ${line.baud} baud, ${line.latencyMs} ms latency, 1K blocks (real CLI on a pty)`, seconds(wall), ms(cpu, 1), percent(share, 2)]],
    );
    return { markdown, share };
  } finally {
    await pty.close();
  }
}
