// memcachedts-passwd: manage the salted-hash password file that `sasldb_path` (or -Y's
// successor) can point at. The password comes from -p, else one line of standard input (not
// echoed on a terminal). The file is replaced atomically (temp file + rename), created 0600.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  detectPasswordFileFormat,
  formatMemcachedtsPasswd,
  hashPassword,
  isValidPasswdUser,
  parseMemcachedtsPasswd,
} from '../auth/password-file.js';
import { prepareForStorage } from '../auth/sasl-prepare.js';
import { errnoCode, errorMessage, ExitCode } from '../errors.js';

export const DEFAULT_PASSWD_FILE = '/etc/memcachedts/passwd';

const COMMANDS = ['add', 'change', 'delete', 'list'] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `Usage: memcachedts-passwd [-f FILE] [-p PASSWORD] add|change|delete USER
       memcachedts-passwd [-f FILE] list
The password is read from -p or one line of standard input. Default FILE: ${DEFAULT_PASSWD_FILE}
`;

export type PasswdIo = {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
};

type Args = { file: string; password: string | null; command: Command; user: string | null };

class UsageError extends Error {}

export async function main(argv: string[], io: PasswdIo = process): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (e: unknown) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`memcachedts-passwd: ${e.message}\n${USAGE}`);
    return ExitCode.Usage;
  }
  if (args === 'help') {
    io.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  try {
    return await run(args, io);
  } catch (e: unknown) {
    io.stderr.write(`memcachedts-passwd: ${errorMessage(e)}\n`);
    return ExitCode.Failure;
  }
}

function parseArgs(argv: string[]): Args | 'help' {
  let file = DEFAULT_PASSWD_FILE;
  let password: string | null = null;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option ${arg} needs a value`);
      return v;
    };
    if (arg === '-h' || arg === '--help') return 'help';
    else if (arg === '-f' || arg === '--file') file = value();
    else if (arg === '-p' || arg === '--password') password = value();
    else if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const [command, user, ...rest] = positional;
  if (command === undefined) throw new UsageError('missing command');
  if (!isCommand(command)) throw new UsageError(`unknown command ${command}`);
  if (rest.length > 0) throw new UsageError('too many arguments');
  if (command === 'list') {
    if (user !== undefined) throw new UsageError('list takes no user');
    return { file, password, command, user: null };
  }
  if (user === undefined) throw new UsageError(`${command} needs a user`);
  return { file, password, command, user };
}

function isCommand(s: string): s is Command {
  return (COMMANDS as readonly string[]).includes(s);
}

async function run(args: Args, io: PasswdIo): Promise<number> {
  const users = readUsers(args.file);
  if (args.command === 'list') {
    for (const user of users.keys()) io.stdout.write(`${user}\n`);
    return ExitCode.Ok;
  }
  const user = prepareStored(args.user ?? '', 'user name');
  if (!isValidPasswdUser(user)) throw new Error('user names must be non-empty, without ":" or control characters, and not start with "#"');
  const exists = users.has(user);
  if (args.command === 'add' && exists) throw new Error(`user ${user} already exists in ${args.file}`);
  if (args.command !== 'add' && !exists) throw new Error(`user ${user} not found in ${args.file}`);

  if (args.command === 'delete') {
    users.delete(user);
    writeAtomically(args.file, formatMemcachedtsPasswd(users));
    io.stderr.write(`Deleted user ${user}\n`);
    return ExitCode.Ok;
  }
  const given = args.password ?? (await readPassword(io));
  if (given === '') throw new Error('empty password');
  users.set(user, hashPassword(prepareStored(given, 'password')));
  writeAtomically(args.file, formatMemcachedtsPasswd(users));
  io.stderr.write(`${args.command === 'add' ? 'Added' : 'Changed password for'} user ${user}\n`);
  return ExitCode.Ok;
}

function readUsers(file: string): Map<string, string> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e: unknown) {
    if (errnoCode(e) === 'ENOENT') return new Map();
    throw e;
  }
  if (buf.length === 0) return new Map();
  if (detectPasswordFileFormat(buf) !== 'memcachedts') {
    throw new Error(`${file} is not a memcachedts-passwd file (use saslpasswd2 for a sasldb)`);
  }
  try {
    return parseMemcachedtsPasswd(buf);
  } catch (e: unknown) {
    throw new Error(`${file}: ${errorMessage(e)}`);
  }
}

/** SASLprep with the stored-string profile (no unassigned code points). */
function prepareStored(s: string, what: string): string {
  const prepared = prepareForStorage(s);
  if (prepared === null) throw new Error(`the ${what} contains characters SASLprep prohibits`);
  return prepared;
}

async function readPassword(io: PasswdIo): Promise<string> {
  if (io.stdin.isTTY === true && io.stdin.setRawMode !== undefined) {
    const first = await readHiddenLine(io, 'Password: ');
    const again = await readHiddenLine(io, 'Again: ');
    if (first !== again) throw new Error('passwords do not match');
    return first;
  }
  return readFirstLine(io.stdin);
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('\n')) break;
  }
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** One line from a terminal in raw mode, without echo. */
function readHiddenLine(io: PasswdIo, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (err: Error | null): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err !== null) reject(err);
      else resolve(line);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Replace `path` by a temp file in the same directory: readers see the old or the new file. */
function writeAtomically(path: string, content: string): void {
  let target = path;
  let mode = 0o600;
  let owner: { uid: number; gid: number } | null = null;
  try {
    target = realpathSync(path);
    const st = statSync(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (e: unknown) {
    if (errnoCode(e) !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  }
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, content);
      // Keep the owner and mode of the file being replaced (the daemon's user must read it).
      if (owner !== null && process.getuid?.() === 0) fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e: unknown) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or gone
    }
    throw e;
  }
  syncDirectory(dir);
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported on every filesystem; the rename itself is already atomic
  }
}
