// One password file (sasldb, memcached's PWDB or ours) kept in memory and re-read when it
// changes on disk: Cyrus opens the sasldb on every lookup and memcached re-reads its PWDB on
// every attempt, so `saslpasswd2` takes effect without a restart; a stat per attempt keeps that.
// Plaintext passwords are held only as SHA-256 digests of their SASLprep'd form.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { errnoCode, errorMessage } from '../errors.js';
import { prepareStored } from './authenticator.js';
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
  /** Re-read now (SIGHUP). Never throws: problems go to the warning sink. */
  reload(): void;
  /**
   * `authcid` and `password` are already SASLprep'd. true = match, false = wrong password,
   * undefined = this source does not know the user.
   */
  check(authcid: string, password: string): boolean | undefined;
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
  logWarn: (msg: string) => void;
  /** Do not warn when the file does not exist (an optional source). */
  missingOk?: boolean;
};

type Loaded =
  | { kind: 'none' }
  | { kind: 'digest'; realmed: boolean; users: Map<string, Buffer> }
  | { kind: 'scrypt'; users: Map<string, ScryptHash> };

const SASLDB_PASSWORD_PROPERTY = 'userPassword';
const NONE: Loaded = { kind: 'none' };

export class FilePasswordSource implements PasswordSource {
  readonly path: string;
  readonly #format: PasswordFileFormat | 'auto';
  readonly #hostname: string;
  readonly #logWarn: (msg: string) => void;
  readonly #missingOk: boolean;
  #loaded: Loaded = NONE;
  #signature = '';

  constructor(options: FilePasswordSourceOptions) {
    this.path = options.path;
    this.#format = options.format;
    this.#hostname = options.hostname;
    this.#logWarn = options.logWarn;
    this.#missingOk = options.missingOk ?? false;
    this.reload();
  }

  reload(): void {
    this.#signature = '';
    this.#refresh();
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

  /** Cyrus splits `user@realm` at the first `@`; a bare user gets the server's hostname. */
  #sasldbKey(authcid: string): string {
    const at = authcid.indexOf('@');
    if (at < 0) return sasldbKey(authcid, this.#hostname);
    return sasldbKey(authcid.slice(0, at), authcid.slice(at + 1));
  }

  #refresh(): void {
    let signature: string;
    try {
      const st = statSync(this.path, { bigint: true });
      signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (e: unknown) {
      if (errnoCode(e) === 'ENOENT') {
        // A removed file revokes everyone (fail closed).
        if (this.#signature !== 'missing' && !this.#missingOk) this.#logWarn(`${this.path}: file not found`);
        this.#signature = 'missing';
        this.#loaded = NONE;
        return;
      }
      signature = 'stat-error';
    }
    if (signature === this.#signature) return;
    this.#signature = signature;
    let buf: Buffer | null = null;
    try {
      buf = readFileSync(this.path);
      this.#loaded = this.#load(buf);
    } catch (e: unknown) {
      // Keep the last good copy; warn once per change of the file.
      this.#logWarn(`${this.path}: ${errorMessage(e)}; ${this.#loaded.kind === 'none' ? 'no users loaded' : 'keeping the previous users'}`);
    } finally {
      buf?.fill(0); // the file may hold plaintext passwords
    }
  }

  #load(buf: Buffer): Loaded {
    const format = this.#format === 'auto' ? detectPasswordFileFormat(buf) : this.#format;
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
        for (const [user, password] of parsePlainPasswordFile(buf)) {
          const key = prepareStored(user);
          if (!users.has(key)) users.set(key, digestStoredPassword(password));
        }
        return { kind: 'digest', realmed: false, users };
      }
    }
  }

  #loadSasldb(buf: Buffer): Loaded {
    const users = new Map<string, Buffer>();
    const realms = new Set<string>();
    for (const entry of parseSasldb(buf)) {
      if (entry.property !== SASLDB_PASSWORD_PROPERTY) continue;
      const realm = prepareStored(entry.realm);
      realms.add(realm);
      users.set(sasldbKey(prepareStored(entry.user), realm), digestStoredPassword(entry.value));
    }
    if (realms.size > 0 && !realms.has(this.#hostname)) {
      // The classic sasldb pitfall (memcached#263): users made under another host name or FQDN.
      this.#logWarn(
        `${this.path}: no user in realm "${this.#hostname}" (the host name); bare user names will not match, ` +
          `use user@realm (realms: ${[...realms].slice(0, 5).join(', ')})`,
      );
    }
    return { kind: 'digest', realmed: true, users };
  }
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

  constructor(users: Iterable<readonly [string, string]>) {
    for (const [user, password] of users) {
      this.#users.set(prepareStored(user), digestStoredPassword(Buffer.from(password, 'utf8')));
    }
  }

  reload(): void {}

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
