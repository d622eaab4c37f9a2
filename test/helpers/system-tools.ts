/** Real peers for interop tests; tests skip with an install hint when one is missing. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export function skipUnless(...commands: { name: string; apt: string }[]): string | false {
  const missing = commands.filter((c) => !hasCommand(c.name));
  return missing.length ? `needs ${missing.map((c) => c.name).join(', ')}: apt-get install ${missing.map((c) => c.apt).join(' ')}` : false;
}

export const SOCAT = { name: 'socat', apt: 'socat' };
export const LRZSZ = { name: 'rb', apt: 'lrzsz' };

export interface PtyPair {
  a: string;
  b: string;
  process: ChildProcess;
  close(): Promise<void>;
}

/** A real pseudo-terminal pair joined by socat: what one side writes, the other reads. */
export async function ptyPair(): Promise<PtyPair> {
  const dir = tempDir('pty');
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(a) || !existsSync(b)) throw new Error('socat did not create the pty pair');
  return {
    a,
    b,
    process: child,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/**
 * A pseudo-terminal whose far end is a command's stdin/stdout (through socat). The command
 * talks through a socket, not a second pty: lrzsz `rb` flushes its tty (TCIOFLUSH) right
 * after its final ACK, which on a pty pair can discard that ACK before socat reads it.
 */
export async function ptyToCommand(
  command: string,
  cwd: string,
  { startWhenOpened = false, lingerSeconds }: { startWhenOpened?: boolean; lingerSeconds?: number } = {},
): Promise<{ path: string; exited: Promise<number | null>; close(): Promise<void> }> {
  const dir = tempDir('pty');
  const path = join(dir, 'tty');
  // startWhenOpened: the command starts once the pty is opened, so what it says first is not
  // discarded by the opener's input flush (rx asks again only every 14 s).
  // lingerSeconds: the line stays up that long after the command exits, as a device's does.
  // rx exits the moment it has written its ACK of EOT, and socat can close the pty before it
  // relayed that last byte (seen once under a loaded suite): a race of this harness, not of rx.
  const program = lingerSeconds === undefined ? `EXEC:${command}` : `SYSTEM:${command}; status=$?; sleep ${lingerSeconds}; exit $status`;
  const child = spawn('socat', [`pty,raw,echo=0,${startWhenOpened ? 'wait-slave,' : ''}link=${path}`, program], { cwd, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(path)) throw new Error('socat did not create the pty');
  return {
    path,
    exited,
    close: async () => {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}
