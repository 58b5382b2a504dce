// The per-request structures every session of this thread reuses: the token offsets of the
// command line being handled and the item view a lookup fills. A request is handled from its
// line to its reply before the next one starts (one callback at a time; no command keeps either
// across a return to the event loop), and each worker thread loads its own copy of this module,
// so one of each serves every connection of the thread.
//
// One per session cost more than the memory: with 500 connections every request touched its own
// session's copies (two typed arrays and their buffers, an object), cache lines fetched from far
// away on every request; shared, they stay in the CPU's nearest caches (bench/README.md,
// "Per-connection memory", +6-8% requests per CPU-second at 500 connections).

import { newItemView, type ItemView } from '../store/store.js';
import { Tokens } from './text/tokenizer.js';

/** The token offsets of the text or meta command line being handled. */
export const REQUEST_TOKENS: Tokens = new Tokens();

/** What the current request's lookup found (Store.get fills it). */
export const REQUEST_VIEW: ItemView = newItemView();
