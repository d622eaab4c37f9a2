/** The short reason inside an error, for embedding in a sentence of our own. */

/** "ENOENT: no such file" from `Error: ENOENT: no such file.`: no "Error:" prefix, no final stop. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Error:?\s*/, '').replace(/[.\s]+$/, '');
}
