// Debian's /etc/memcached.conf, turned into argv the way /usr/share/memcached/scripts/
// systemd-memcached-wrapper (and start-memcached) do it (REFERENCE.md §2.4):
// - `#` starts a comment unless written `\#`; as in the Perl (`s/(?<!\\)\#[^\#]*//g`), a comment
//   runs to the next `#`, not to the end of the line;
// - blank lines and lines starting `-d` or `-h` are dropped (we remember the -d);
// - a line not starting with `-` that has a directive and an argument (`logfile /x.log`) is
//   dropped; we remember `logfile`. A single word (`foo`) is kept: the wrapper's
//   `grep $directive, ...` only skips lines that split into directive and argument;
// - the kept lines are joined with spaces; Perl's exec splits that on blanks, or hands it to
//   /bin/sh when it holds shell metacharacters (then `\#` becomes `#`, quotes are removed);
// - a conf with no kept line at all gives `-u root`.

import { readFileSync } from 'node:fs';
import { ConfigError, ExitCode, errorMessage } from '../errors.js';

export interface DebianConf {
  /** argv tokens for the flags in the file. */
  readonly args: readonly string[];
  /** The kept lines, as the wrapper joins them. */
  readonly lines: readonly string[];
  /** A `-d` line was present (dropped from args; honoured only outside systemd). */
  readonly daemonize: boolean;
  /** The last `logfile PATH` directive, or null. */
  readonly logFile: string | null;
}

// Characters that make Perl's one-string exec go through /bin/sh (perl doio.c).
const SHELL_METACHARS = /[$&*(){}[\]'";\\|?<>~`\n]/;

export function parseDebianConf(text: string): DebianConf {
  const lines: string[] = [];
  let daemonize = false;
  let logFile: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(?<!\\)#[^#]*/g, '').replace(/\s+$/, '').replace(/^\s+/, '');
    if (line === '') continue;
    if (/^-[dh]/.test(line)) {
      if (line.startsWith('-d')) daemonize = true;
      continue;
    }
    if (!line.startsWith('-')) {
      const m = /^(.*?)\s+(.*)/.exec(line);
      if (m !== null) {
        const directive = m[1] ?? '';
        if (directive === 'logfile') logFile = m[2] ?? null;
        // Perl's `grep $directive, (...)` is true for any directive but "" and "0".
        if (directive !== '' && directive !== '0') continue;
      }
    }
    lines.push(line);
  }
  if (lines.length === 0) lines.push('-u root');
  const joined = lines.join(' ');
  const args = SHELL_METACHARS.test(joined) ? shellWords(joined) : joined.split(/[ \t\n\r\f]+/).filter((w) => w !== '');
  return { args, lines, daemonize, logFile };
}

export function readDebianConf(path: string): DebianConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new ConfigError(`Cannot read config file ${path}: ${errorMessage(e)}`, ExitCode.Usage);
  }
  return parseDebianConf(text);
}

/**
 * The words /bin/sh would pass on: blanks separate words, quotes group, a backslash escapes the
 * next character. No expansion ($VAR, globs) is done: a `-l [::1]:11212` stays as written,
 * which is also what the shell does when no file matches the pattern.
 */
export function shellWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      i++;
      if (i < s.length && s.charAt(i) !== '\n') word += s.charAt(i);
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      const stop = end === -1 ? s.length : end;
      word += s.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      for (i++; i < s.length && s.charAt(i) !== '"'; i++) {
        const d = s.charAt(i);
        if (d === '\\' && i + 1 < s.length && '$`"\\\n'.includes(s.charAt(i + 1))) {
          i++;
          if (s.charAt(i) !== '\n') word += s.charAt(i);
        } else {
          word += d;
        }
      }
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** systemd starts us: it sets INVOCATION_ID for every unit, JOURNAL_STREAM when stdio is the journal. */
export function underSystemd(env: Readonly<Record<string, string | undefined>>): boolean {
  return (env['INVOCATION_ID'] ?? '') !== '' || (env['JOURNAL_STREAM'] ?? '') !== '';
}
