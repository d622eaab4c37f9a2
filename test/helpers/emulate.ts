/**
 * Runs `serial-flash emulate` as a child process, waits until it says where it serves, and
 * collects its summary when it exits.
 */
import { spawn } from 'node:child_process';
import { BIN } from './cli.js';

export interface EmulateRun {
  /** tcp://127.0.0.1:PORT */
  url: string;
  /** host:port, for socat */
  hostPort: string;
  /** The pty path, with --pty. */
  pty: string | undefined;
  /** Resolves when the emulator exits. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Ctrl-C. */
  interrupt(): void;
  /** Any other signal, e.g. SIGHUP when its terminal closes. */
  signal(name: NodeJS.Signals): void;
  kill(): void;
}

/** Starting node and binding a port takes well under a second; 10 s means it is stuck. */
const SERVING_LINE_TIMEOUT_MS = 10_000;
const SERVING_LINE = /Serving it on (tcp:\/\/(\S+?:\d+))(?: and (\S+))? \(/;

export function startEmulate(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<EmulateRun> {
  const child = spawn(process.execPath, [BIN, 'emulate', ...args], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killTimer);
      resolve({ code, stdout, stderr });
    }),
  );
  return new Promise((resolve, reject) => {
    const giveUp = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulate did not start serving:\n${stderr}`));
    }, SERVING_LINE_TIMEOUT_MS);
    child.stderr.on('data', (d) => {
      const before = stderr;
      stderr += d;
      const match = SERVING_LINE.exec(stderr);
      if (!match || SERVING_LINE.test(before)) return;
      clearTimeout(giveUp);
      resolve({
        url: match[1]!,
        hostPort: match[2]!,
        pty: match[3],
        exited,
        interrupt: () => child.kill('SIGINT'),
        signal: (name) => child.kill(name),
        kill: () => child.kill('SIGKILL'),
      });
    });
    void exited.then(({ code }) => {
      clearTimeout(giveUp);
      reject(new Error(`emulate exited (${code}) before serving:\n${stderr}`));
    });
  });
}

export type JsonLine = Record<string, unknown> & { type: string };

/** Every stdout line of --json parsed; throws when one is not a JSON object with a type. */
export function jsonLinesOf(stdout: string): JsonLine[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parsed = JSON.parse(line) as JsonLine;
      if (typeof parsed.type !== 'string') throw new Error(`a JSON line without a type: ${line}`);
      return parsed;
    });
}

/** The `result` line of --json output; throws unless there is exactly one and it is the last. */
export function resultOf(stdout: string): JsonLine {
  const lines = jsonLinesOf(stdout);
  const results = lines.filter((line) => line.type === 'result');
  if (results.length !== 1 || lines.at(-1) !== results[0]) {
    throw new Error(`expected one result line, last, in:\n${stdout}`);
  }
  return results[0]!;
}
