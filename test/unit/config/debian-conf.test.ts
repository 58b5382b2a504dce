import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDebianConf, readDebianConf, shellWords, underSystemd } from '../../../src/config/debian-conf.js';
import { ConfigError } from '../../../src/errors.js';
import { makeTempDir } from '../../support/temp-dir.js';

test('REFERENCE §2.4 worked example', () => {
  const conf = parseDebianConf(
    ['-d', 'logfile /var/log/x.log', 'foo bar', '-m 128 # c', '-l 127.0.0.1,::1', '-l [::1]:11212', '-h', '-vv', '-o modern\\#x', ''].join('\n'),
  );
  assert.deepEqual(conf.lines, ['-m 128', '-l 127.0.0.1,::1', '-l [::1]:11212', '-vv', '-o modern\\#x']);
  // the joined line holds shell metacharacters, so /bin/sh splits it and `\#` becomes `#`
  assert.deepEqual(conf.args, ['-m', '128', '-l', '127.0.0.1,::1', '-l', '[::1]:11212', '-vv', '-o', 'modern#x']);
  assert.equal(conf.daemonize, true);
  assert.equal(conf.logFile, '/var/log/x.log');
});

test('empty or all-comment conf gives -u root', () => {
  assert.deepEqual(parseDebianConf('').args, ['-u', 'root']);
  assert.deepEqual(parseDebianConf('# only a comment\n   \n#-m 64\n').args, ['-u', 'root']);
  assert.equal(parseDebianConf('').daemonize, false);
  assert.equal(parseDebianConf('').logFile, null);
});

test('Debian default /etc/memcached.conf', () => {
  const text = `# memcached default config file
# Run memcached as a daemon. This command is implied, and is not needed for the
# daemon to run. See the README.Debian that comes with this package for more
# information.
-d

# Log memcached's output to /var/log/memcached
logfile /var/log/memcached.log

# Be verbose
# -v

# Start with a cap of 64 megs of memory. It's reasonable, and the daemon default
# Note that the daemon will grow to this size, but does not start out holding this much
# memory
-m 64

# Default connection port is 11211
-p 11211

# Run the daemon as root. The start-memcached will default to running as root if no
# -u command is present in this config file
-u memcache

# Specify which IP address to listen on. The default is to listen on all IP addresses
# This parameter is one of the only security measures that memcached has, so make sure
# it's listening on a firewalled interface.
-l 127.0.0.1

# Limit the number of simultaneous incoming connections. The daemon default is 1024
# -c 1024

# Lock down all paged memory. Consult with the README file found in
# /usr/share/doc/memcached before using this option.
# -k

# Return error when memory is exhausted (rather than removing items)
# -M

# Maximize core file limit
# -r

# Use a pidfile
-P /var/run/memcached/memcached.pid
`;
  const conf = parseDebianConf(text);
  assert.deepEqual(conf.args, ['-m', '64', '-p', '11211', '-u', 'memcache', '-l', '127.0.0.1', '-P', '/var/run/memcached/memcached.pid']);
  assert.equal(conf.daemonize, true);
  assert.equal(conf.logFile, '/var/log/memcached.log');
});

test('comments run to the next #, as the Perl regex does; \\# is kept', () => {
  assert.deepEqual(parseDebianConf('-m 64 # a # b\n').lines, ['-m 64']);
  assert.deepEqual(parseDebianConf('-o a#b#c\n').lines, ['-o a']);
  // the first comment eats `#y\`; the `#` after it was escaped in the original line, so it stays
  assert.deepEqual(parseDebianConf('-o x#y\\#z\n').lines, ['-o x#z']);
  assert.deepEqual(parseDebianConf('-o x#y\\#z\n').args, ['-o', 'x#z']);
});

test('whitespace: tabs and runs of blanks split; leading/trailing blanks trimmed', () => {
  const conf = parseDebianConf('   -m\t 128   \n\t-c   10\t\n');
  assert.deepEqual(conf.lines, ['-m\t 128', '-c   10']);
  assert.deepEqual(conf.args, ['-m', '128', '-c', '10']);
});

test('-d and -h lines (and anything starting with them) are dropped', () => {
  const conf = parseDebianConf('-dv\n-h\n-help me\n-m 1\n');
  assert.deepEqual(conf.args, ['-m', '1']);
  assert.equal(conf.daemonize, true);
});

test('non-flag lines: directive + argument dropped, a single word kept', () => {
  const conf = parseDebianConf('logfile /tmp/a.log\nfoo bar baz\nlonely\nlogfile /tmp/b.log\n');
  assert.deepEqual(conf.lines, ['lonely']);
  assert.equal(conf.logFile, '/tmp/b.log');
});

test('repeated -l lines are all kept, in order', () => {
  const conf = parseDebianConf('-l 127.0.0.1\n-l ::1\n-p 11211\n');
  assert.deepEqual(conf.args, ['-l', '127.0.0.1', '-l', '::1', '-p', '11211']);
});

test('shell words: quotes and backslashes', () => {
  assert.deepEqual(shellWords(`-l "127.0.0.1" -o 'a b' x\\ y`), ['-l', '127.0.0.1', '-o', 'a b', 'x y']);
  assert.deepEqual(shellWords('  a   b  '), ['a', 'b']);
  assert.deepEqual(shellWords(`"a\\"b"`), ['a"b']);
});

test('readDebianConf: a missing file is a ConfigError (exit 64)', () => {
  const dir = makeTempDir('mcts-conf-');
  const path = join(dir, 'memcached.conf');
  assert.throws(() => readDebianConf(path), (e: unknown) => e instanceof ConfigError && e.exitCode === 64);
  writeFileSync(path, '-p 1234\n');
  assert.deepEqual(readDebianConf(path).args, ['-p', '1234']);
});

test('systemd detection', () => {
  assert.equal(underSystemd({}), false);
  assert.equal(underSystemd({ INVOCATION_ID: 'abc' }), true);
  assert.equal(underSystemd({ JOURNAL_STREAM: '8:1234' }), true);
  assert.equal(underSystemd({ INVOCATION_ID: '' }), false);
});
