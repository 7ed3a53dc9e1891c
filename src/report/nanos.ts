/**
 * `end - start` in ms for decimal strings of Unix nanoseconds, to the nanosecond: today's times
 * (~1.8e18 ns) exceed a double's 2^53, so each is split into whole seconds and the nanoseconds within
 * (both exact as doubles) before subtracting. No BigInt: this runs once per span of the file.
 */
export function nanosDifferenceMs(start: string, end: string): number {
  return (secondsOf(end) - secondsOf(start)) * 1e3 + (nanosWithinSecond(end) - nanosWithinSecond(start)) / 1e6;
}

function secondsOf(nanos: string): number {
  return nanos.length > 9 ? Number(nanos.slice(0, -9)) : 0;
}

function nanosWithinSecond(nanos: string): number {
  return Number(nanos.length > 9 ? nanos.slice(-9) : nanos);
}
