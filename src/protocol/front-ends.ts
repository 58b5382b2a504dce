// The protocol front ends a session can use: the classic text one (with meta commands) and
// the binary one. net/ hands this to every Session it opens (session.ts cannot import the
// readers itself: they import it).

import type { FrontEnds } from './session.js';
import { createTextReader } from './text/reader.js';
import { createBinaryReader } from './binary/reader.js';

export const FRONT_ENDS: FrontEnds = Object.freeze({
  text: createTextReader,
  binary: createBinaryReader,
});
