// The Cyrus SASL configuration memcached reads for `-S`, and the authenticator built from it.
// Lookup: SASL_CONF_PATH (a directory holding memcached.conf, or the file itself; a `:` list
// of either), else /etc/sasl/memcached.conf, else /etc/sasl2/memcached.conf. The file is
// Cyrus `key: value` lines, read with js-yaml (failsafe schema: every value a string) and, when
// that fails (values YAML rejects, duplicate keys), by a plain line parser like Cyrus's own.

import { readFileSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { FAILSAFE_SCHEMA, load } from 'js-yaml';
import { ConfigError, errorMessage, ExitCode } from '../errors.js';
import { PasswordAuthenticator, SUPPORTED_MECHANISMS } from './authenticator.js';
import { CRAM_MD5 } from './cram-md5.js';
import { FilePasswordSource } from './password-source.js';
import type { PasswordSource } from './password-source.js';

export type SaslConfig = {
  path: string;
  /** Upper-cased `mech_list`; ['PLAIN'] when absent. */
  mechList: string[];
  sasldbPath: string;
  logLevel: number;
  /** Every key of the file, as read. */
  options: Readonly<Record<string, string>>;
};

export type SaslEnv = Readonly<Record<string, string | undefined>>;

export const SASL_CONF_FILE = 'memcached.conf';
export const DEFAULT_SASL_CONF_PATHS = ['/etc/sasl/memcached.conf', '/etc/sasl2/memcached.conf'] as const;
export const DEFAULT_SASLDB_PATH = '/etc/sasldb2';
/** Cyrus's default log_level: SASL_LOG_ERR. */
export const DEFAULT_SASL_LOG_LEVEL = 1;

/** Path of the config file to read, or null (memcached: "Failed to locate a config path"). */
export function locateSaslConfig(env: SaslEnv, defaults: readonly string[] = DEFAULT_SASL_CONF_PATHS): string | null {
  const fromEnv = env['SASL_CONF_PATH'];
  const found = fromEnv === undefined || fromEnv === '' ? null : locateInConfPath(fromEnv);
  return found ?? defaults.find((candidate) => fileKind(candidate) === 'file') ?? null;
}

/** SASL_CONF_PATH: `:`-separated directories holding memcached.conf, or config files. */
function locateInConfPath(value: string): string | null {
  for (const entry of value.split(':')) {
    if (entry === '') continue;
    const kind = fileKind(entry);
    if (kind === 'file') return entry;
    if (kind === 'dir' && fileKind(join(entry, SASL_CONF_FILE)) === 'file') return join(entry, SASL_CONF_FILE);
  }
  return null;
}

export function findSaslConfig(env: SaslEnv, defaults: readonly string[] = DEFAULT_SASL_CONF_PATHS): SaslConfig | null {
  const path = locateSaslConfig(env, defaults);
  if (path === null) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new ConfigError(`Cannot read SASL config ${path}: ${errorMessage(e)}`, ExitCode.Failure);
  }
  return saslConfigFrom(path, parseSaslConfig(text));
}

export function saslConfigFrom(path: string, options: Readonly<Record<string, string>>): SaslConfig {
  const mechText = options['mech_list'];
  const mechList = mechText === undefined ? [] : mechText.split(/[\s,]+/).filter((m) => m !== '').map((m) => m.toUpperCase());
  const sasldbPath = options['sasldb_path']?.trim();
  const logLevel = Number.parseInt(options['log_level'] ?? '', 10);
  return {
    path,
    mechList: mechList.length > 0 ? mechList : ['PLAIN'],
    sasldbPath: sasldbPath === undefined || sasldbPath === '' ? DEFAULT_SASLDB_PATH : sasldbPath,
    logLevel: Number.isFinite(logLevel) ? logLevel : DEFAULT_SASL_LOG_LEVEL,
    options,
  };
}

/** `key: value` lines → a record of strings. Never throws. */
export function parseSaslConfig(text: string): Record<string, string> {
  return parseWithYaml(text) ?? parseLines(text);
}

function parseWithYaml(text: string): Record<string, string> | null {
  let doc: unknown;
  try {
    doc = load(text, { schema: FAILSAFE_SCHEMA });
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(doc)) {
    if (typeof value !== 'string') return null; // nested YAML is not Cyrus syntax
    out[key] = value.trim();
  }
  return out;
}

/** Cyrus's reading: skip blanks and `#` lines; key up to `:`; value trimmed; first key wins. */
function parseLines(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    if (!(key in out)) out[key] = line.slice(colon + 1).trim();
  }
  return out;
}

export type SaslAuthenticatorSetup = {
  authenticator: PasswordAuthenticator;
  configPath: string;
  config: SaslConfig;
};

export type SaslAuthenticatorOptions = {
  /** Realm for bare sasldb users; default os.hostname() (memcached passes gethostname()). */
  hostname?: string;
  defaultConfigPaths?: readonly string[];
};

/**
 * The `-S` authenticator: sources are MEMCACHED_SASL_PWDB (when set; memcached lets it
 * replace sasldb, so it is asked first) and `sasldb_path` (sasldb, memcachedts-passwd or plain
 * file, by content). Throws ConfigError (exit 1) when no config file is found.
 */
export function createSaslAuthenticator(
  env: SaslEnv,
  logWarn: (msg: string) => void,
  options: SaslAuthenticatorOptions = {},
): SaslAuthenticatorSetup {
  const config = findSaslConfig(env, options.defaultConfigPaths ?? DEFAULT_SASL_CONF_PATHS);
  // memcached: "Failed to locate a config path" (with -v), then "Error initializing sasl.", exit 1.
  if (config === null) throw new ConfigError('Failed to locate a config path', ExitCode.Failure);
  const fromEnv = env['SASL_CONF_PATH'];
  if (fromEnv !== undefined && fromEnv !== '' && locateInConfPath(fromEnv) === null) {
    logWarn(`SASL_CONF_PATH=${fromEnv} holds no ${SASL_CONF_FILE}; using ${config.path}`);
  }
  warnUnsupported(config, logWarn);

  const hostname = options.hostname ?? osHostname();
  const sources: PasswordSource[] = [];
  const pwdb = env['MEMCACHED_SASL_PWDB'];
  const hasPwdb = pwdb !== undefined && pwdb !== '';
  // CRAM-MD5 is keyed with the stored password: keep the plaintext only when it is asked for.
  const keepPlaintext = config.mechList.includes(CRAM_MD5);
  if (hasPwdb) sources.push(new FilePasswordSource({ path: pwdb, format: 'plain', hostname, logWarn, keepPlaintext }));
  const sasldb = new FilePasswordSource({ path: config.sasldbPath, format: 'auto', hostname, logWarn, missingOk: hasPwdb, keepPlaintext });
  sources.push(sasldb);
  const hasPlaintext = hasPwdb || sasldb.loadedFormat !== 'memcachedts';
  if (keepPlaintext && !hasPlaintext) {
    logWarn(`${config.path}: CRAM-MD5 needs plaintext passwords (a sasldb or MEMCACHED_SASL_PWDB file); not offered with the memcachedts-passwd file ${config.sasldbPath}`);
  }

  const authenticator = new PasswordAuthenticator({ sources, mechanisms: config.mechList, hasPlaintext });
  if (authenticator.mechanisms.length === 0) {
    logWarn(`${config.path}: mech_list "${config.mechList.join(' ')}" names no supported mechanism (supported: ${SUPPORTED_MECHANISMS.join(' ')})`);
  }
  return { authenticator, configPath: config.path, config };
}

function warnUnsupported(config: SaslConfig, logWarn: (msg: string) => void): void {
  const unsupported = config.mechList.filter((m) => !(SUPPORTED_MECHANISMS as readonly string[]).includes(m));
  if (unsupported.length > 0 && config.options['mech_list'] !== undefined) {
    logWarn(`${config.path}: mechanisms not implemented, ignored: ${unsupported.join(' ')}`);
  }
  const pwcheck = config.options['pwcheck_method'];
  if (pwcheck !== undefined && !/\bauxprop\b/.test(pwcheck)) {
    logWarn(`${config.path}: pwcheck_method "${pwcheck}" is not supported; using the sasldb file`);
  }
  const plugin = config.options['auxprop_plugin'];
  if (plugin !== undefined && !/\bsasldb\b/.test(plugin)) {
    logWarn(`${config.path}: auxprop_plugin "${plugin}" is not supported; using the sasldb file`);
  }
}

function fileKind(path: string): 'file' | 'dir' | 'none' {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'dir';
    return st.isFile() ? 'file' : 'none';
  } catch {
    return 'none';
  }
}
