import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, formatRange, parseAddress } from '../../src/image/address.js';
import { InputError } from '../../src/errors.js';

function assertBadAddress(text: string, mentions: RegExp): void {
  assert.throws(
    () => parseAddress(text),
    (error: unknown) => {
      assert.ok(error instanceof InputError, 'an InputError');
      assert.equal(error.code, 'BAD_ADDRESS');
      assert.ok(error.message.includes(text.trim()), `message names ${JSON.stringify(text)}: ${error.message}`);
      assert.match(error.message, /0x08005000/, 'message gives a good example');
      assert.match(error.message, mentions);
      return true;
    },
  );
}

test('hex with or without leading zeros is the same address', () => {
  assert.equal(parseAddress('0x08005000'), 0x08005000);
  assert.equal(parseAddress('0x8005000'), 0x08005000);
  assert.equal(parseAddress('0X8005000'), 0x08005000);
  assert.equal(parseAddress('0x0000000008005000'), 0x08005000);
  assert.equal(parseAddress('0x0800a000'), 0x0800a000);
  assert.equal(parseAddress('0x0800A000'), 0x0800a000);
});

test('decimal addresses', () => {
  assert.equal(parseAddress('134238208'), 0x08005000);
  assert.equal(parseAddress('0'), 0);
  assert.equal(parseAddress('00'), 0);
  assert.equal(parseAddress('010'), 10, 'a leading zero does not mean octal');
  assert.equal(parseAddress(' 4096 '), 4096, 'surrounding spaces are ignored');
});

test('the 32-bit boundary', () => {
  assert.equal(parseAddress('0xFFFFFFFF'), 0xffffffff);
  assert.equal(parseAddress('4294967295'), 0xffffffff);
  assertBadAddress('0x100000000', /32 bits/);
  assertBadAddress('4294967296', /32 bits/);
  assertBadAddress('0x1FFFFFFFFFFFFFFFFFFFF', /32 bits/);
});

test('malformed addresses are refused with the bad text and an example', () => {
  assertBadAddress('0x', /no digits/);
  assertBadAddress('-1', /negative/);
  assertBadAddress('-0x10', /negative/);
  assertBadAddress('0x1_0000', /not a valid address/);
  assertBadAddress('abc', /0xabc/);
  assertBadAddress('8005000h', /not a valid address/);
  assertBadAddress('0x08005000 0x1', /not a valid address/);
  assertBadAddress('1e6', /0x1e6/);
  assertBadAddress('+5', /not a valid address/);
  assertBadAddress('0x12g', /not a valid address/);
  assertBadAddress('12.5', /not a valid address/);
});

test('an empty address is refused', () => {
  assert.throws(() => parseAddress(''), { code: 'BAD_ADDRESS', message: /empty/ });
  assert.throws(() => parseAddress('   '), { code: 'BAD_ADDRESS', message: /empty/ });
});

test('formatAddress prints 8 upper-case hex digits', () => {
  assert.equal(formatAddress(0x08005000), '0x08005000');
  assert.equal(formatAddress(0x0800a1c5), '0x0800A1C5');
  assert.equal(formatAddress(0), '0x00000000');
  assert.equal(formatAddress(0xffffffff), '0xFFFFFFFF');
  assert.equal(formatAddress(0x1000), '0x00001000');
});

test('formatAddress refuses values that are not 32-bit addresses', () => {
  assert.throws(() => formatAddress(-1), RangeError);
  assert.throws(() => formatAddress(0x100000000), RangeError);
  assert.throws(() => formatAddress(1.5), RangeError);
});

test('parse and format round-trip', () => {
  for (const n of [0, 1, 0x1000, 0x08005000, 0x080a0000, 0xfffffffe, 0xffffffff]) {
    assert.equal(parseAddress(formatAddress(n)), n);
    assert.equal(parseAddress(String(n)), n);
  }
});

test('formatRange shows the inclusive last byte of an exclusive end', () => {
  assert.equal(formatRange(0x08004000, 0x0800c000), '0x08004000–0x0800BFFF');
});
