/**
 * Ctrl-C and SIGTERM become one abort() (the transfer ends with CAN CAN at a block boundary);
 * a second Ctrl-C quits at once.
 */
export function onInterrupt(controller: AbortController, onFirst: () => void): () => void {
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    onFirst();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
