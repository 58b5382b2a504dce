// writeFully: every byte reaches a descriptor that is non-blocking and full (a pipe whose
// reader starts late: a plain writeSync would throw EAGAIN once the pipe's 64 KiB are full).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFully } from '../../../src/common/fd-write.js';
import { within } from '../../support/wait.js';

test('a non-blocking pipe that fills up: the write waits and every byte arrives in order', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-write-'));
  try {
    const fifo = path.join(dir, 'fifo');
    const out = path.join(dir, 'out');
    execFileSync('mkfifo', [fifo]);
    // the reader copies the fifo to a file, starting a little after this thread began writing
    const reader = spawn('sh', ['-c', `sleep 0.3; cat "${fifo}" > "${out}"`], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => reader.once('exit', resolve));
    // a read end held open meanwhile, so that opening the write end does not fail with ENXIO
    const holder = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    const bytes = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 12)) & 0xff;
    const before = Date.now();
    // the holder never reads: until cat opens the fifo the pipe stays full
    writeFully(fd, bytes, 100, bytes.length - 100);
    const waitedMs = Date.now() - before;
    fs.closeSync(fd);
    fs.closeSync(holder);
    assert.equal(await within(exited, 10_000, 'the reader'), 0);
    assert.ok(waitedMs >= 200, `the write waited for the reader (${waitedMs} ms)`);
    const got = fs.readFileSync(out);
    assert.equal(got.length, bytes.length - 200);
    assert.ok(got.equals(bytes.subarray(100, bytes.length - 100)), 'the bytes arrive whole and in order');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
