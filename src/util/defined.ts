/** Merging option objects where `undefined` means "not given". */

/** `T` without undefined values: keys that may hold undefined become optional keys. */
export type DefinedOnly<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** The options that were given: merging `{ a: undefined }` over a default must keep the default. */
export function definedOnly<T extends object>(options: T): DefinedOnly<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as DefinedOnly<T>;
}
