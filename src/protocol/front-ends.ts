// The protocol front ends a session can use: the classic text one (with meta commands) and
// the binary one. net/ hands this to every Session it opens (session.ts cannot import the
// front ends itself: they import it).

import type { FrontEnds } from './session.js';
import { createTextFrontEnd } from './text/front-end.js';
import { createBinaryFrontEnd } from './binary/front-end.js';

export const FRONT_ENDS: FrontEnds = Object.freeze({
  text: createTextFrontEnd,
  binary: createBinaryFrontEnd,
});
