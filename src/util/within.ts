/** Waiting for a promise, but not forever. */

/** The promise's value, or undefined when it has not settled within `ms`. */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let expire!: (value: undefined) => void;
  const expired = new Promise<undefined>((resolve) => (expire = resolve));
  const timer = setTimeout(() => expire(undefined), ms);
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
