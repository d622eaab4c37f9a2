/** Deterministic test data (xorshift32): neighbouring bytes differ, so drops and shifts show up. */
export function testData(size: number, seed = 7): Buffer {
  const data = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return data;
}
