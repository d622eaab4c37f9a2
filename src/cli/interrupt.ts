/**
 * Ctrl-C, SIGTERM and SIGHUP (the terminal was closed) become one abort(): the transfer ends
 * with CAN CAN at a block boundary, and helpers such as the emulator's socat are stopped.
 * A second signal quits at once.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

type StopSignal = (typeof STOP_SIGNALS)[number];

export function onInterrupt(controller: AbortController, onFirst: (signal: StopSignal) => void): () => void {
  const handler = (signal: StopSignal) => {
    if (controller.signal.aborted) process.exit(130);
    onFirst(signal);
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}

/** What the user is told on the first signal: what happens now, and how to quit at once. */
export function cancellingNote(signal: StopSignal, discarding: string): string {
  const again = signal === 'SIGINT' ? 'press Ctrl-C again' : `send ${signal} again`;
  const cause = signal === 'SIGINT' ? '' : ` on ${signal}`;
  return `cancelling${cause}: ${discarding} (${again} to quit at once)`;
}
