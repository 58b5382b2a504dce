#!/usr/bin/env -S node --max-semi-space-size=1
// --max-semi-space-size=1: the main thread (serving thread 1) keeps a young generation as small
// as the other serving threads' (threads/host.ts): V8 would grow it to 32 MiB of touched pages
// under load, for garbage that dies young anyway (docs/threads.md, "Memory per thread").
import { main } from '../dist/src/cli/main.js';
process.exitCode = await main(process.argv.slice(2));
