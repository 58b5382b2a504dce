// One password file (sasldb, memcached's PWDB or ours) kept in memory and re-read when it
// changes on disk: Cyrus opens the sasldb on every lookup and memcached re-reads its PWDB on
// every attempt, so `saslpasswd2` takes effect without a restart; a stat per attempt keeps that.
// Plaintext passwords are held as SHA-256 digests of their SASLprep'd form, and as they are only
// when CRAM-MD5 is offered (its HMAC is keyed with the stored password). A file that cannot be
// read or parsed fails closed (see FilePasswordSource).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { errnoCode, errorMessage } from '../errors.js';
import { cramDigestMatches } from './cram-md5.js';
import { describeFileError } from './source-error.js';
import { describeStatus } from './source-status.js';
import type { SourceStatus } from './source-status.js';
import { prepareStored } from './sasl-prepare.js';
import { parseSasldb } from './sasldb.js';
import {
  detectPasswordFileFormat,
  parseMemcachedtsPasswd,
  parsePlainPasswordFile,
  parseScryptHash,
} from './password-file.js';
import type { PasswordFileFormat, ScryptHash } from './password-file.js';
import { matchesSync, UNKNOWN_DIGEST, UNKNOWN_SCRYPT, type StoredPassword } from './stored-password.js';

export interface PasswordSource {
  readonly path: string;
  /** Re-read now (SIGHUP) and say what the source holds. Never throws. */
  reload(): SourceStatus;
  /**
   * `authcid` and `password` are already SASLprep'd. true = match, false = wrong password,
   * undefined = this source does not know the user (or cannot be read: it knows nobody).
   */
  check(authcid: string, password: string): boolean | undefined;
  /**
   * CRAM-MD5: whether data[start, end) is the user's HMAC-MD5 of `challenge` (see cram-md5.ts);
   * undefined when the user is unknown here or the source keeps no plaintext.
   */
  checkCram(authcid: string, challenge: Buffer, data: Buffer, start: number, end: number): boolean | undefined;
  status(): SourceStatus;
  /** Times the source became unusable (or its reason changed): `auth_source_errors`. */
  readonly errorCount: number;
  /**
   * What to check `authcid`'s password against (stored-password.ts): for a user this source
   * does not know, a stand-in of the same kind (isKnown false), so that checking costs the
   * same; undefined when the source holds no users at all.
   */
  lookup?(authcid: string): StoredPassword | undefined;
}

export type FilePasswordSourceOptions = {
  path: string;
  /** 'auto' picks by content (sasldb_path may name any of the three formats). */
  format: PasswordFileFormat | 'auto';
  /** Realm for a bare sasldb user: memcached passes gethostname() to Cyrus. */
  hostname: string;
  /** Problems with the file, once per change: a failure, a recovery, the realm pitfall. */
  logWarn: (msg: string) => void;
  /** A missing file is no error (an optional source): it simply knows nobody. */
  missingOk?: boolean;
  /** Keep the stored plaintext passwords in memory too: CRAM-MD5 is keyed with them. */
  keepPlaintext?: boolean;
};

type Loaded =
  | { kind: 'none' }
  | { kind: 'digest'; realmed: boolean; users: Map<string, Buffer>; plain: Map<string, Buffer> | null }
  | { kind: 'scrypt'; users: Map<string, ScryptHash> };

const SASLDB_PASSWORD_PROPERTY = 'userPassword';
const NONE: Loaded = { kind: 'none' };
const ABSENT: SourceStatus = { state: 'absent' };
// CRAM-MD5 key for an unknown user: the same HMAC is computed, so timing does not tell.
const DUMMY_PLAINTEXT = Buffer.alloc(16, 0x5a);

/**
 * A password file, failing closed: when it cannot be stat'ed, read or parsed, the users loaded
 * before are dropped and the source knows nobody until the file is usable again. Keeping them
 * would let a deleted user or a changed password keep working (issue #14 C), e.g. once `-u`
 * has made the file unreadable to us.
 */
export class FilePasswordSource implements PasswordSource {
  readonly path: string;
  readonly #format: PasswordFileFormat | 'auto';
  readonly #hostname: string;
  readonly #logWarn: (msg: string) => void;
  readonly #missingOk: boolean;
  readonly #keepPlaintext: boolean;
  #loaded: Loaded = NONE;
  #loadedFormat: PasswordFileFormat | null = null;
  #status: SourceStatus = ABSENT;
  /** stat() fields of the copy in #loaded; '' forces a re-read. */
  #signature = '';
  #errorCount = 0;

  constructor(options: FilePasswordSourceOptions) {
    this.path = options.path;
    this.#format = options.format;
    this.#hostname = options.hostname;
    this.#logWarn = options.logWarn;
    this.#missingOk = options.missingOk ?? false;
    this.#keepPlaintext = options.keepPlaintext ?? false;
    this.reload();
  }

  /** The format of the copy in memory (sasldb_path may name any of the three); null: none. */
  get loadedFormat(): PasswordFileFormat | null {
    return this.#loadedFormat;
  }

  get errorCount(): number {
    return this.#errorCount;
  }

  status(): SourceStatus {
    return this.#status;
  }

  reload(): SourceStatus {
    this.#signature = '';
    this.#refresh();
    return this.#status;
  }

  check(authcid: string, password: string): boolean | undefined {
    const stored = this.lookup(authcid);
    if (stored === undefined) return undefined;
    const ok = matchesSync(stored, password); // an unknown user costs the same
    return stored.isKnown ? ok : undefined;
  }

  lookup(authcid: string): StoredPassword | undefined {
    this.#refresh();
    const loaded = this.#loaded;
    switch (loaded.kind) {
      case 'none':
        return undefined;
      case 'digest': {
        const digest = loaded.users.get(loaded.realmed ? this.#sasldbKey(authcid) : authcid);
        return digest === undefined ? UNKNOWN_DIGEST : { kind: 'digest', digest, isKnown: true };
      }
      case 'scrypt': {
        const hash = loaded.users.get(authcid);
        return hash === undefined ? UNKNOWN_SCRYPT : { kind: 'scrypt', hash, isKnown: true };
      }
    }
  }

  checkCram(authcid: string, challenge: Buffer, data: Buffer, start: number, end: number): boolean | undefined {
    this.#refresh();
    const loaded = this.#loaded;
    if (loaded.kind !== 'digest' || loaded.plain === null) return undefined;
    const stored = loaded.plain.get(loaded.realmed ? this.#sasldbKey(authcid) : authcid);
    const matches = cramDigestMatches(stored ?? DUMMY_PLAINTEXT, challenge, data, start, end);
    return stored === undefined ? undefined : matches;
  }

  /** Cyrus splits `user@realm` at the first `@`; a bare user gets the server's hostname. */
  #sasldbKey(authcid: string): string {
    const at = authcid.indexOf('@');
    if (at < 0) return sasldbKey(authcid, this.#hostname);
    return sasldbKey(authcid.slice(0, at), authcid.slice(at + 1));
  }

  /** Re-reads the file when its stat() fields changed (a stat per attempt, like Cyrus's open). */
  #refresh(): void {
    let signature: string;
    try {
      const st = statSync(this.path, { bigint: true });
      signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (e: unknown) {
      signature = `stat-error:${errnoCode(e) ?? '?'}`;
      if (signature === this.#signature) return;
      this.#signature = signature;
      if (errnoCode(e) === 'ENOENT' && this.#missingOk) {
        if (this.#status.state === 'loaded') this.#logWarn(`${this.path}: removed; its users can no longer authenticate`);
        this.#become(NONE, ABSENT);
      } else this.#fail(describeFileError(this.path, e, 'stat'));
      return;
    }
    if (signature === this.#signature) return;
    this.#signature = signature;
    let buf: Buffer;
    try {
      buf = readFileSync(this.path);
    } catch (e: unknown) {
      this.#fail(describeFileError(this.path, e, 'read'));
      return;
    }
    try {
      const loaded = this.#load(buf);
      this.#become(loaded, { state: 'loaded', users: loaded.kind === 'none' ? 0 : loaded.users.size });
    } catch (e: unknown) {
      this.#fail(errorMessage(e));
    } finally {
      buf.fill(0); // the file may hold plaintext passwords
    }
  }

  #fail(reason: string): void {
    const before = this.#status;
    wipe(this.#loaded);
    this.#loaded = NONE; // fail closed: the old users go too
    this.#status = { state: 'failed', reason };
    if (before.state === 'failed' && before.reason === reason) return; // said once per change
    this.#errorCount++;
    this.#logWarn(`${this.path}: ${reason}; no one can authenticate with this file until it is fixed`);
  }

  #become(loaded: Loaded, status: SourceStatus): void {
    const before = this.#status;
    if (loaded !== this.#loaded) wipe(this.#loaded);
    this.#loaded = loaded;
    this.#status = status;
    if (status.state !== 'loaded') return;
    if (before.state === 'failed') this.#logWarn(`${this.path}: usable now, ${describeStatus(status)}`);
    else if (status.users === 0 && !(before.state === 'loaded' && before.users === 0)) this.#logWarn(`${this.path}: holds no users`);
  }

  #load(buf: Buffer): Loaded {
    const format = this.#format === 'auto' ? detectPasswordFileFormat(buf) : this.#format;
    this.#loadedFormat = format;
    switch (format) {
      case 'sasldb':
        return this.#loadSasldb(buf);
      case 'memcachedts': {
        const users = new Map<string, ScryptHash>();
        for (const [user, text] of parseMemcachedtsPasswd(buf)) {
          const hash = parseScryptHash(text);
          if (hash !== null) users.set(prepareStored(user), hash);
        }
        return { kind: 'scrypt', users };
      }
      case 'plain': {
        if (this.#format === 'auto' && buf.includes(0)) {
          throw new Error('not a Berkeley DB hash, memcachedts-passwd or user:password file');
        }
        const users = new Map<string, Buffer>();
        const plain = this.#keepPlaintext ? new Map<string, Buffer>() : null;
        for (const [user, password] of parsePlainPasswordFile(buf)) {
          const key = prepareStored(user);
          if (users.has(key)) continue;
          plain?.set(key, Buffer.from(password));
          users.set(key, digestStoredPassword(password));
        }
        return { kind: 'digest', realmed: false, users, plain };
      }
    }
  }

  #loadSasldb(buf: Buffer): Loaded {
    const users = new Map<string, Buffer>();
    const plain = this.#keepPlaintext ? new Map<string, Buffer>() : null;
    const realms = new Set<string>();
    for (const entry of parseSasldb(buf)) {
      if (entry.property !== SASLDB_PASSWORD_PROPERTY) continue;
      const realm = prepareStored(entry.realm);
      realms.add(realm);
      const key = sasldbKey(prepareStored(entry.user), realm);
      plain?.set(key, Buffer.from(entry.value));
      users.set(key, digestStoredPassword(entry.value));
    }
    if (realms.size > 0 && !realms.has(this.#hostname)) {
      // The classic sasldb pitfall (memcached#263): users made under another host name or FQDN.
      this.#logWarn(
        `${this.path}: no user in realm "${this.#hostname}" (the host name); bare user names will not match, ` +
          `use user@realm (realms: ${[...realms].slice(0, 5).join(', ')})`,
      );
    }
    return { kind: 'digest', realmed: true, users, plain };
  }
}

/** Zeroes the plaintext copies of a copy being dropped. */
function wipe(loaded: Loaded): void {
  if (loaded.kind !== 'digest' || loaded.plain === null) return;
  for (const password of loaded.plain.values()) password.fill(0);
}

function sasldbKey(user: string, realm: string): string {
  return `${user}\0${realm}`;
}

/**
 * SHA-256 of the SASLprep'd password; the plaintext buffer is wiped. Bytes that are not UTF-8
 * keep their raw digest, which no UTF-8 input can reach: such an entry cannot match.
 */
function digestStoredPassword(password: Buffer): Buffer {
  const text = password.toString('utf8');
  const isUtf8 = Buffer.from(text, 'utf8').equals(password);
  const digest = isUtf8 ? sha256(Buffer.from(prepareStored(text), 'utf8')) : sha256(password);
  password.fill(0);
  return digest;
}

export function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Fixed users from memory (tests, or an embedder that has its own store). */
export class MemoryPasswordSource implements PasswordSource {
  readonly path = '(memory)';
  readonly #users = new Map<string, Buffer>();
  readonly #plain = new Map<string, Buffer>();

  constructor(users: Iterable<readonly [string, string]>) {
    for (const [user, password] of users) {
      const key = prepareStored(user);
      this.#plain.set(key, Buffer.from(password, 'utf8'));
      this.#users.set(key, digestStoredPassword(Buffer.from(password, 'utf8')));
    }
  }

  checkCram(authcid: string, challenge: Buffer, data: Buffer, start: number, end: number): boolean | undefined {
    const stored = this.#plain.get(authcid);
    if (stored === undefined) return undefined;
    return cramDigestMatches(stored, challenge, data, start, end);
  }

  readonly errorCount = 0;

  reload(): SourceStatus {
    return this.status();
  }

  status(): SourceStatus {
    return { state: 'loaded', users: this.#users.size };
  }

  check(authcid: string, password: string): boolean | undefined {
    const stored = this.lookup(authcid);
    const ok = matchesSync(stored, password);
    return stored.isKnown ? ok : undefined;
  }

  lookup(authcid: string): StoredPassword {
    const digest = this.#users.get(authcid);
    return digest === undefined ? UNKNOWN_DIGEST : { kind: 'digest', digest, isKnown: true };
  }
}
