/**
 * Ctrl-C, SIGTERM and SIGHUP (the terminal was closed) become one abort(): the transfer ends
 * with CAN CAN at a block boundary, and helpers such as the emulator's socat are stopped.
 * A second signal quits at once.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function onInterrupt(controller: AbortController, onFirst: () => void): () => void {
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    onFirst();
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}
