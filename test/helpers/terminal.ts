/**
 * The CLI on a real terminal of a chosen size: a tmux session (its own server and socket, so
 * runs never share one), read back as the rows a person would see — after the cursor moves, line
 * clearing and wrapping the terminal did. Tests skip with an install hint without tmux.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './cli.js';
import { skipUnless } from './system-tools.js';

export const TMUX = { name: 'tmux', apt: 'tmux' };
export const skipWithoutTmux = (): string | false => skipUnless(TMUX);

export interface Terminal {
  /** The visible rows, trailing spaces removed. */
  screen(): string[];
  /** Keys as tmux names them: 'C-c', 'Enter', or literal text. */
  keys(...keys: string[]): void;
  /** Resolves with the screen once `pattern` matches it (polling; rejects after timeoutMs). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string[]>;
  /** Resolves with the exit code once the command has ended. */
  exited(timeoutMs?: number): Promise<number>;
  close(): void;
}

const POLL_MS = 50;
const EXIT_MARK = '[serial-flash exited ';

/** Runs `serial-flash ARGS` in a `columns`×`rows` terminal; the pane stays after it exits. */
export function openTerminal(args: readonly string[], options: { columns: number; rows?: number; env?: Record<string, string>; cwd?: string }): Terminal {
  // A socket of its own in a folder of its own, removed on close (tmux leaves its socket behind).
  const folder = mkdtempSync(join(tmpdir(), 'serial-flash-tmux-'));
  const socket = join(folder, 'socket');
  const tmux = (...tmuxArgs: string[]) => execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...tmuxArgs], { encoding: 'utf8' });
  const env = { NO_COLOR: '1', ...options.env };
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  tmux(
    'new-session', '-d', '-x', String(options.columns), '-y', String(options.rows ?? 40),
    ...(options.cwd ? ['-c', options.cwd] : []),
    ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
    // The shell stays after the command, so its last screen can be read, and prints the exit
    // code on a row of its own (tmux's own record of it is not always there to read).
    `${command}; printf '${EXIT_MARK}%d]' $?; exec sleep 3600`,
  );
  const screen = () =>
    tmux('capture-pane', '-p')
      .replace(/\n$/, '')
      .split('\n')
      .map((row) => row.trimEnd())
      .filter((row) => !row.startsWith(EXIT_MARK));
  const poll = async <T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; the screen:\n${screen().join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  return {
    screen,
    keys: (...keys) => void tmux('send-keys', ...keys),
    waitFor: (pattern, timeoutMs = 30_000) =>
      poll(() => {
        const rows = screen();
        return pattern.test(rows.join('\n')) ? rows : undefined;
      }, timeoutMs, `no ${pattern}`),
    exited: (timeoutMs = 60_000) =>
      poll(() => {
        const mark = new RegExp(`^${EXIT_MARK.replace('[', '\\[')}(\\d+)\\]`, 'm').exec(tmux('capture-pane', '-p'));
        return mark ? Number(mark[1]) : undefined;
      }, timeoutMs, 'the command did not end'),
    close: () => {
      try {
        tmux('kill-server');
      } catch {
        // Already gone.
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

function shellQuote(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
