/** A real pseudo-terminal pair joined by socat, standing in for a cable between two ports. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Symlinks socat made to the two pty ends. */
  a: string;
  b: string;
  dir: string;
  socat: ChildProcess;
  /** Ends socat (both ends then fail like a pulled cable) and removes the directory. */
  stop(): Promise<void>;
}

/** socat needs a few ms to create the ptys; 5 s tolerates a loaded test machine. */
const SOCAT_READY_TIMEOUT_MS = 5000;
const SOCAT_POLL_INTERVAL_MS = 20;

/** Why pty tests are skipped here, or undefined when socat is available. */
export const ptySkipReason: string | undefined =
  process.platform === 'win32'
    ? 'pseudo-terminals need a Unix system'
    : spawnSync('socat', ['-V']).error
      ? 'socat is not installed (apt-get install socat)'
      : undefined;

export async function startPtyPair(): Promise<PtyPair> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'serial-flash-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  socat.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  const deadline = Date.now() + SOCAT_READY_TIMEOUT_MS;
  // The links exist before socat enters its transfer loop; wait for the log line saying it has.
  while (!log.includes('starting data transfer loop')) {
    if (socat.exitCode !== null || Date.now() > deadline) {
      socat.kill();
      throw new Error(`socat did not start: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, SOCAT_POLL_INTERVAL_MS));
  }
  return {
    a,
    b,
    dir,
    socat,
    async stop() {
      if (socat.exitCode === null && socat.signalCode === null) {
        socat.kill('SIGTERM');
        await exited;
      }
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The processes other than this one that have `path`'s pty open (Linux /proc), for a test that
 * finds its own pty busy: pts numbers are reused at once, so a program that reopens a stale
 * path can land in another test's pty.
 */
export async function otherHoldersOf(path: string): Promise<string[]> {
  let device: string;
  let pids: string[];
  try {
    device = await fsp.realpath(path);
    pids = (await fsp.readdir('/proc')).filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid);
  } catch {
    return [];
  }
  const holders: string[] = [];
  for (const pid of pids) {
    try {
      const fds = await fsp.readdir(`/proc/${pid}/fd`);
      const targets = await Promise.all(fds.map((fd) => fsp.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
      if (!targets.includes(device)) continue;
      const command = (await fsp.readFile(`/proc/${pid}/cmdline`, 'latin1')).split('\0').join(' ').trim();
      holders.push(`${pid} ${command}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return holders;
}
