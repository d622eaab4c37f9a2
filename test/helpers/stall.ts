/** Keeps the event loop busy for `ms`, as a starved process or a long callback does. */
export function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
