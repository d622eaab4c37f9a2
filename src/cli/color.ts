/**
 * Whether to colour what goes to a stream: only a terminal, never with NO_COLOR set to
 * anything but an empty string (no-color.org), never on TERM=dumb.
 */
import { styleText } from 'node:util';

export interface ColorStream {
  isTTY?: boolean;
}

export function colorEnabled(stream: ColorStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export type Style = Parameters<typeof styleText>[0];

/**
 * Styles `text` when `color` says so. Node's own check looks at process.stdout whatever the
 * stream, which is wrong for stderr and files, so ours decides and Node's is turned off.
 */
export function paint(color: boolean, style: Style, text: string): string {
  return color ? styleText(style, text, { validateStream: false }) : text;
}
