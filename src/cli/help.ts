/**
 * Help text laid out for the terminal it is read on: the full width of the terminal (80
 * columns when the output is not one), and examples whose commands are never split over two
 * lines (yargs gives an example's command at most half the width, and breaks it inside).
 */
import type { Output } from './output.js';
import { wrapText } from './yargs-lite.js';

/** Without a terminal, the width a help page or a pasted message is read at. */
export const DEFAULT_HELP_WIDTH = 80;
const INDENT = '  ';
const DESCRIPTION_INDENT = '      ';
/** Below this, a description beside its command wraps into a narrow column: put it below instead. */
const MIN_DESCRIPTION_WIDTH = 30;

export function helpWidth(output: Pick<Output, 'columns'>): number {
  return output.columns && output.columns > 0 ? output.columns : DEFAULT_HELP_WIDTH;
}

export type Example = readonly [command: string, description: string];

/**
 * The Examples section as an epilogue: two aligned columns when every description has room
 * beside its command, else each command on its own line with its description indented below.
 * A command is never broken: below the width of the longest one, commands lose their indent.
 */
export function formatExamples(examples: readonly Example[], width: number): string {
  const commandWidth = Math.max(...examples.map(([command]) => command.length));
  if (width - (INDENT.length + commandWidth + 2) >= MIN_DESCRIPTION_WIDTH) return `Examples:\n${columns(examples, width)}`;
  const indent = INDENT.length + commandWidth <= width ? INDENT : '';
  const lines = examples.map(([command, description]) => `${indent}${command}\n${hangingIndent(DESCRIPTION_INDENT, description, width)}`);
  return `Examples:\n${lines.join('\n')}`;
}

/** A section of terms and their meanings ("Exit codes:"), meanings wrapped beside their terms. */
export function formatDefinitions(title: string, rows: readonly (readonly [string, string])[], width: number): string {
  return `${title}\n${columns(rows, width)}`;
}

function columns(rows: readonly (readonly [string, string])[], width: number): string {
  const termWidth = Math.max(...rows.map(([term]) => term.length));
  const column = INDENT.length + termWidth + 2;
  return rows
    .map(([term, text]) => {
      const [first = '', ...rest] = wrapText(text, Math.max(MIN_DESCRIPTION_WIDTH, width - column)).split('\n');
      return [`${INDENT}${term.padEnd(termWidth)}  ${first}`, ...rest.map((line) => `${' '.repeat(column)}${line}`)].join('\n');
    })
    .join('\n');
}

function hangingIndent(indent: string, text: string, width: number): string {
  return wrapText(text, Math.max(MIN_DESCRIPTION_WIDTH, width - indent.length))
    .split('\n')
    .map((line) => `${indent}${line}`)
    .join('\n');
}
