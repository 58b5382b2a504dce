// The build directory memcached's t/lib/MemcachedTest.pm expects as its working directory:
// t/ (a link to the cached suite), memcached-debug (the server it starts, reads `-h` from, and
// passes `-o relaxed_privileges` and, as root, `-u root`) and timedrun (runs a command with a
// time limit, passing signals through; MemcachedTest.pm's Handle signals timedrun's pid).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeFlagsOf } from '../support/node-flags.js';

/** The server under test; threads: the -t every start gets before its own arguments (null: none). */
export type Target =
  | { readonly kind: 'ours'; readonly daemonJs: string; readonly threads: number | null }
  | { readonly kind: 'real'; readonly exe: string; readonly threads: number | null };

export function makeBuildDir(suiteDir: string, target: Target): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcachedts-conformance-'));
  fs.symlinkSync(path.join(suiteDir, 't'), path.join(dir, 't'));
  writeScript(path.join(dir, 'memcached-debug'), memcachedDebug(target));
  writeScript(path.join(dir, 'timedrun'), TIMEDRUN);
  return dir;
}

function writeScript(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o755 });
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function memcachedDebug(target: Target): string {
  // First on the line, so a file that passes its own -t (getopt: the last one wins) keeps it.
  const threads = target.threads === null ? '' : ` -t ${target.threads}`;
  if (target.kind === 'ours') {
    // Our daemon takes every argument the debug build takes, relaxed_privileges included, and
    // -o debug_commands gives it the debug build's test-only commands (debugtime: expirations.t).
    const flags = nodeFlagsOf(target.daemonJs).map((f) => ' ' + quote(f)).join('');
    return `#!/bin/sh\nexec ${quote(process.execPath)}${flags} ${quote(target.daemonJs)}${threads} -o debug_commands "$@"\n`;
  }
  // A release build rejects `-o relaxed_privileges` (a debug-build option): drop exactly that
  // pair, which MemcachedTest.pm appends as its own `-o`, and pass everything else through.
  return [
    '#!/bin/sh',
    'n=$#',
    'while [ "$n" -gt 0 ]; do',
    '  a=$1; shift; n=$((n - 1))',
    '  if [ "$a" = -o ] && [ "$n" -gt 0 ] && [ "$1" = relaxed_privileges ]; then shift; n=$((n - 1)); continue; fi',
    '  set -- "$@" "$a"',
    'done',
    `exec ${quote(target.exe)}${threads} "$@"`,
    '',
  ].join('\n');
}

// memcached's timedrun, in perl (which the suite needs anyway): run the command as a child,
// pass HUP INT USR1 TERM on to it, and once the time limit is up end it (TERM, KILL 5 s later);
// exit with its status. Not a shell script: bash starts background commands with SIGINT
// ignored, and SIGINT is how MemcachedTest.pm stops a server.
const TIMEDRUN = String.raw`#!/usr/bin/perl
use strict;
use warnings;
use POSIX ();
my $limit = shift @ARGV;
# The handlers are in place before the fork: a signal that came between the fork and their
# installing would end timedrun and leave the command running. One before the fork waits.
my $pid = 0;
my @pending;
for my $sig (qw(HUP INT USR1 TERM)) {
    $SIG{$sig} = sub { if ($pid > 0) { kill $sig, $pid } else { push @pending, $sig } };
}
$pid = fork();
die "timedrun: fork: $!\n" unless defined $pid;
if ($pid == 0) {
    exec { $ARGV[0] } @ARGV or do {
        print STDERR "timedrun: $ARGV[0]: $!\n";
        POSIX::_exit(127);
    };
}
kill $_, $pid for @pending;
$SIG{ALRM} = sub {
    kill 'TERM', $pid;
    $SIG{ALRM} = sub { kill 'KILL', $pid };
    alarm 5;
};
alarm $limit;
my $done;
do { $done = waitpid($pid, 0) } until $done == $pid || ($done == -1 && !$!{EINTR});
exit(POSIX::WIFEXITED($?) ? POSIX::WEXITSTATUS($?) : 0x80 | POSIX::WTERMSIG($?));
`;
