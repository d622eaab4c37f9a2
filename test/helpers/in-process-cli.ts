/** Runs the CLI's main() in this process, with a virtual binding and captured output. */
import { PassThrough } from 'node:stream';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { main } from '../../src/cli/main.js';
import type { CliContext, Output } from '../../src/cli/output.js';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(argv: string[], binding?: BindingInterface, context: Omit<CliContext, 'binding'> = {}): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const output: Output = { stdout, stderr, color: false, error: (message) => stderr.write(`serial-flash: ${message}\n`) };
  const code = await main(argv, output, { ...context, binding });
  return { code, stdout: out, stderr: err };
}
