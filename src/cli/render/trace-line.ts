/** The shape of a trace line, apart from the formatter so that reporting loads without it. */
import type { TraceDirection } from '../../flash/trace.js';

export type { TraceDirection };

/** One trace line: seconds since the start, the direction, what was exchanged; `label` names the device when there are several. */
export function formatTraceLine(seconds: number, direction: TraceDirection, description: string, label?: string): string {
  return `${seconds.toFixed(3).padStart(8)} ${label ? `${label} ` : ''}${direction} ${description}`;
}
