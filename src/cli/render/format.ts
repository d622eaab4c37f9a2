/** Small formatting helpers shared by the renderers. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** "1 byte", "4004 bytes". */
export function countBytes(count: number): string {
  return `${count} byte${count === 1 ? '' : 's'}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}

/** Rows of cells as aligned columns, the first row being the headings. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Without a terminal, one progress line (per device) this often at most. */
const PLAIN_PROGRESS_INTERVAL_MS = 2_000;

/**
 * The plain progress line for non-terminal output, or undefined when the last one was too
 * recent (the final 100% line is always given). `last` holds when the previous line went out.
 */
export function plainProgress(bytes: number, total: number, last: { at: number }): string | undefined {
  const now = performance.now();
  if (bytes < total && now - last.at < PLAIN_PROGRESS_INTERVAL_MS) return undefined;
  last.at = now;
  return `${String(Math.floor((bytes / total) * 100)).padStart(3)}% ${bytes}/${total} bytes`;
}
