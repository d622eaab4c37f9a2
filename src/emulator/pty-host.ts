/**
 * Serves a virtual device on a pseudo-terminal (Linux, macOS), so programs that only open
 * serial device paths — including serialport's native binding — can reach it. Node has no
 * pty API without a native add-on, so socat bridges a pty to the device's TCP host:
 * `wait-slave` makes socat connect only when a program opens the pty, and it exits when that
 * program closes it; a new socat then waits for the next one. Each open is one host session,
 * as on a USB port. On Linux a small Perl relay (pty-relay.ts) takes socat's place and also
 * reports the line rate the program sets on the pty, as a USB device sees SET_LINE_CODING;
 * DTR does not cross either bridge (a pty has no modem lines).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, PortError } from '../errors.js';
import { PTY_RELAY_PERL } from './pty-relay.js';

export const SOCAT_MISSING_MESSAGE = 'needs socat: apt-get install socat (or brew install socat)';
/** socat creates the pty within milliseconds; this much means it is stuck or failed. */
const PTY_APPEAR_TIMEOUT_MS = 5_000;
const PTY_POLL_INTERVAL_MS = 10;
/** A socat that dies this soon after each start is failing, not serving: stop respawning. */
const SOCAT_RESTART_LIMIT = 5;
const SOCAT_QUICK_EXIT_MS = 200;

export interface PtyHostOptions {
  /** Where the pty's path (a symlink to /dev/pts/N) is made; default a new temporary directory. */
  link?: string;
  /** Called with each line rate the program on the pty sets (Linux, with Perl). */
  onLineRate?: (baudRate: number) => void;
}

export interface PtyHost {
  /** The path to open, e.g. /tmp/serial-flash-XXXX/tty. */
  readonly path: string;
  /** Whether line rates set on the pty reach the device. */
  readonly carriesLineRate: boolean;
  /** Stops socat and removes the path. */
  close(): Promise<void>;
}

export function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).error === undefined;
}

/** The line-rate relay needs Linux's ioctls and Perl. */
export function canRelayLineRate(): boolean {
  return process.platform === 'linux' && spawnSync('perl', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/** Bridges a new pty to `tcp://host:port` (the device's TcpHost); resolves once the pty exists. */
export async function servePty(target: { host: string; port: number }, options: PtyHostOptions = {}): Promise<PtyHost> {
  if (process.platform === 'win32') {
    throw new InputError('PTY_UNSUPPORTED', 'Pseudo-terminals exist only on Linux and macOS; on Windows use --listen tcp://127.0.0.1:PORT.');
  }
  const relay = canRelayLineRate();
  if (!relay && !hasSocat()) throw new InputError('SOCAT_MISSING', `--pty ${SOCAT_MISSING_MESSAGE}.`);
  const ownDir = options.link === undefined ? mkdtempSync(join(tmpdir(), 'serial-flash-pty-')) : undefined;
  const path = options.link ?? join(ownDir!, 'tty');
  // socat reads ',' ':' '!' as address syntax, so such a path would not be taken literally.
  if (/[,:!\s]/.test(path)) {
    throw new InputError('PTY_PATH_UNUSABLE', `${path} contains a comma, colon, "!" or a space, which socat cannot take; choose a plainer --pty path.`);
  }
  if (existsSync(path)) {
    throw new InputError('PTY_PATH_EXISTS', `${path} already exists; choose another --pty path or remove it.`);
  }
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const [command, args] = relay
    ? ['perl', ['-e', PTY_RELAY_PERL, target.host, String(target.port), path]]
    : ['socat', [`PTY,raw,echo=0,link=${path},wait-slave`, `TCP:${host}:${target.port},nodelay`]];
  let child: ChildProcess | undefined;
  let closing = false;
  let quickExits = 0;

  const start = (): void => {
    const startedAt = performance.now();
    const current = spawn(command, args, { stdio: relay ? ['pipe', 'pipe', 'ignore'] : 'ignore' });
    child = current;
    if (relay) followRates(current, options.onLineRate);
    current.on('error', () => undefined);
    current.on('exit', () => {
      if (closing || child !== current) return;
      quickExits = performance.now() - startedAt < SOCAT_QUICK_EXIT_MS ? quickExits + 1 : 0;
      if (quickExits < SOCAT_RESTART_LIMIT) start();
    });
  };
  start();

  const close = async (): Promise<void> => {
    closing = true;
    // The path goes before the pty: once the pty is closed its number may be another program's.
    rmSync(path, { force: true });
    const current = child;
    if (current && current.exitCode === null && current.signalCode === null) {
      await new Promise<void>((resolve) => {
        current.once('exit', () => resolve());
        current.kill();
      });
    }
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  };

  const deadline = performance.now() + PTY_APPEAR_TIMEOUT_MS;
  while (!existsSync(path)) {
    if (performance.now() > deadline || quickExits >= SOCAT_RESTART_LIMIT) {
      await close();
      throw new PortError('PTY_FAILED', `${command} did not create the pseudo-terminal ${path}; check that its directory is writable.`, { phase: 'listen', path });
    }
    await new Promise((resolve) => setTimeout(resolve, PTY_POLL_INTERVAL_MS));
  }
  return { path, close, carriesLineRate: relay };
}

/** Each `rate N` line is acted on before the relay passes on the bytes written after it. */
function followRates(relay: ChildProcess, onLineRate: ((baudRate: number) => void) | undefined): void {
  relay.stdin!.on('error', () => undefined);
  createInterface({ input: relay.stdout! }).on('line', (line) => {
    const rate = /^rate (\d+)$/.exec(line);
    if (!rate) return;
    if (Number(rate[1]) > 0) onLineRate?.(Number(rate[1]));
    relay.stdin!.write('ok\n');
  });
}
