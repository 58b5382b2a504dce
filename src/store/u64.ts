// uint64 arithmetic for incr/decr (BigInt: incr/decr is rare). The digits of a stored value are
// read by common/c-numbers.ts, as every other number a client wrote.

export const U64_MASK = (1n << 64n) - 1n;
