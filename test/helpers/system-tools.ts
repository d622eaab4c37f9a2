/** Real peers for interop tests; tests skip with an install hint when one is missing. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  const dir = mkdtempSync(join(tmpdir(), 'serial-flash-pty-'));
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
