// memcachedts: wiring, process lifecycle and exit codes. main() resolves when the server has
// stopped (never calls process.exit while serving); bin/memcachedts.js sets process.exitCode.
//
// Start-up order (memcached.c main(), adapted to bind before dropping root):
//   parse → warnings → root/-u checks → -c vs open files →
//   detach (-d: re-spawn; the parent waits for "listening" or the child's error) →
//   SASL (-S) → -Y file → bind (startServer) →
//   chown unix socket, pidfile → drop privileges → signals → serve until stopped.

import { spawn } from 'node:child_process';
import { chownSync, closeSync, openSync } from 'node:fs';
import { ConfigError, ExitCode, StartupError, errorMessage } from '../errors.js';
import { parseCommandLine, type ParsedCommandLine } from './from-args.js';
import { underSystemd } from '../config/debian-conf.js';
import type { Settings } from '../config/settings.js';
import { createLogger, type AppLogger } from '../log/logger.js';
import type { Authenticator } from '../auth/authenticator.js';
import { describeStatus } from '../auth/source-status.js';
import type { AsciiAuthenticator } from '../auth/ascii-auth.js';
import { startHost, type RunningHost } from '../threads/host.js';
import { HELP_TEXT, LICENSE_TEXT, VERSION_LINE } from './program.js';
import { PORT_FILE_ENV, writePortFile } from './port-file.js';
import { dropPrivileges, isRoot, lookupUser, openFileLimit, removePidFile, writePidFile, type PasswdEntry } from './process-ops.js';

/** Set in the environment of the detached child that `-d` spawns. */
export const DAEMON_CHILD_ENV = 'MEMCACHEDTS_DAEMON_CHILD';
/** How long a stop may wait for in-flight replies before the process ends anyway. */
const GRACEFUL_CLOSE_MS = 5000;
/** How long the `-d` parent waits for the child to report that it listens. */
const DAEMON_READY_MS = 60_000;

type DaemonMessage = { type: 'ready'; pid: number } | { type: 'error'; message: string; exitCode: number };

function writeErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const isDaemonChild = process.env[DAEMON_CHILD_ENV] === '1';
  if (isDaemonChild) delete process.env[DAEMON_CHILD_ENV];

  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, { env: process.env });
  } catch (e: unknown) {
    if (e instanceof ConfigError) {
      writeErr(e.message);
      return e.exitCode;
    }
    throw e;
  }
  if (parsed.action !== 'run') {
    if (parsed.action === 'help') process.stdout.write(HELP_TEXT);
    else if (parsed.action === 'version') process.stdout.write(VERSION_LINE + '\n');
    else process.stdout.write(LICENSE_TEXT);
    return ExitCode.Ok;
  }
  // ps, top, ss -p and journalctl show the daemon's name, not "node" (the kernel's comm is also set).
  process.title = 'memcachedts';
  const { settings } = parsed;
  const log = createLogger({ format: settings.logFormat, verbosity: settings.verbosity });
  if (!isDaemonChild) for (const w of parsed.warnings) log.warn(w);

  const fail = async (message: string, exitCode: number): Promise<number> => {
    if (isDaemonChild && process.send !== undefined) {
      await sendToParent({ type: 'error', message, exitCode });
    } else {
      log.error(message);
    }
    return exitCode;
  };

  // Root must name a user to become (memcached checks this before anything else touches the system).
  let runAs: PasswdEntry | null = null;
  if (isRoot()) {
    if (settings.user === null || settings.user === '') return fail("can't run as root without the -u switch", ExitCode.Usage);
    runAs = lookupUser(settings.user);
    if (runAs === null) return fail(`can't find the user ${settings.user} to switch to`, ExitCode.NoUser);
  }

  if (!isDaemonChild) {
    const limit = openFileLimit();
    if (limit !== null && settings.maxConnections > limit) {
      log.warn(
        `WARNING: -c ${settings.maxConnections} is above the open file limit (${limit}); ` +
          'connections beyond it will fail. Raise it with ulimit -n or LimitNOFILE=.',
      );
    }
  }

  // The detached child does the rest and reports failures back (see detach()).
  if (settings.daemonize && !isDaemonChild) return detach(argv, settings);

  let sasl: Authenticator | null = null;
  if (settings.saslEnabled) {
    try {
      // Loaded only when asked for: SASLprep's tables and js-yaml cost ~8 MiB of RSS.
      const { createSaslAuthenticator } = await import('../auth/sasl-conf.js');
      const setup = createSaslAuthenticator(process.env, (m) => log.warn(m));
      if (settings.verbosity > 0) {
        log.line(`Reading configuration from: ${setup.configPath}`);
        log.line('Initialized SASL.');
      }
      sasl = setup.authenticator;
    } catch (e: unknown) {
      const why = errorMessage(e);
      const text = why === 'Failed to locate a config path' && settings.verbosity === 0 ? 'Error initializing sasl.' : `${why}\nError initializing sasl.`;
      return fail(text, ExitCode.Failure);
    }
  }

  // memcached's thread init: one item lock covers whole hash buckets only below the table's power.
  const lockPower = itemLockPower(settings.threads);
  if (settings.hashPowerInit > 0 && settings.hashPowerInit <= lockPower) {
    return fail(
      `Hash table power size (${settings.hashPowerInit}) cannot be equal to or less than item lock table (${lockPower})\n` +
        'Item lock table grows with `-t N` (worker threadcount)\nHash table grows with `-o hashpower=N` ',
      ExitCode.Failure,
    );
  }

  let asciiAuth: AsciiAuthenticator | null = null;
  if (settings.authFile !== null) {
    try {
      const { createAsciiAuth } = await import('../auth/ascii-auth.js');
      asciiAuth = createAsciiAuth(settings.authFile, (m) => log.warn(m));
    } catch (e: unknown) {
      const { asciiAuthStartupMessage } = await import('../auth/ascii-auth.js');
      return fail(asciiAuthStartupMessage(e), ExitCode.Failure);
    }
  }

  return serve(settings, log, { sasl, asciiAuth, runAs, isDaemonChild, fail });
}

/** memcached's item_lock_hashpower for -t threads (thread.c): 2^power item locks. */
function itemLockPower(threads: number): number {
  if (threads < 3) return 10;
  if (threads === 3) return 11;
  if (threads === 4) return 12;
  if (threads <= 10) return 13;
  if (threads <= 20) return 14;
  return 15;
}

interface ServeOptions {
  sasl: Authenticator | null;
  asciiAuth: AsciiAuthenticator | null;
  runAs: PasswdEntry | null;
  isDaemonChild: boolean;
  fail: (message: string, exitCode: number) => Promise<number>;
}

async function serve(settings: Settings, log: AppLogger, opts: ServeOptions): Promise<number> {
  const pid = process.pid;
  const pidFile = settings.pidFile;
  let pidWritten = false;
  const cleanup = (): void => {
    if (pidWritten && pidFile !== null) removePidFile(pidFile, pid);
    pidWritten = false;
  };

  // Signals are handled from before the first bind: a SIGTERM that arrives while we start up
  // is kept and acted on as soon as the listeners exist.
  let resolveStop: (how: StopKind) => void = () => {};
  const stopped = new Promise<StopKind>((resolve) => {
    resolveStop = resolve;
  });
  let stopping = false;
  let server: RunningHost | null = null;
  const onSignal = (): void => {
    if (stopping) {
      // A second signal while draining: stop waiting.
      cleanup();
      process.exit(ExitCode.Ok);
    }
    stopping = true;
    resolveStop('signal');
  };
  // memcached's sig_usrhandler: a graceful stop, which saves the cache with -e.
  const onUsr1 = (): void => {
    if (stopping) return;
    stopping = true;
    resolveStop('graceful');
  };
  const onHup = (): void => {
    opts.sasl?.reload();
    opts.asciiAuth?.reload();
    server?.reloadAuth();
    // Always said: after `systemctl reload` the journal tells whether the new users are in.
    const sources = [...(opts.sasl?.sources() ?? [])];
    const asciiStatus = opts.asciiAuth?.status?.();
    if (settings.authFile !== null && asciiStatus !== undefined) sources.push({ path: settings.authFile, status: asciiStatus });
    const summary = sources.map((r) => `${r.path}: ${describeStatus(r.status)}`).join('; ');
    const text = summary === '' ? 'Reloaded authentication data (SIGHUP).' : `Reloaded authentication data (SIGHUP): ${summary}`;
    if (sources.some((r) => r.status.state === 'failed')) log.error(text);
    else if (summary !== '' || log.level > 0) log.info(text);
  };
  const onFatal = (err: unknown): void => {
    log.fatal('memcachedts: uncaught exception, exiting', err);
    cleanup();
    process.exit(ExitCode.Software);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHup);
  process.on('SIGUSR1', onUsr1);
  const unhook = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHup);
    process.off('SIGUSR1', onUsr1);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  };

  // -t serving threads over one store (threads/host.ts). Thread 1 restores the -e image (memcached
  // reads its metadata before slabs_init prints the classes at -vv, and aborts on a bad one),
  // then binds; the threads' failures come back here as StartupErrors.
  try {
    server = await startHost(settings, {
      onShutdownRequest: (graceful: boolean) => {
        stopping = true;
        resolveStop(graceful ? 'graceful' : 'command');
      },
      onThreadDeath: (thread: number, err: unknown) => {
        log.fatal(`memcachedts: serving thread ${thread} died, exiting`, err);
        cleanup();
        process.exit(ExitCode.OsErr);
      },
    });
  } catch (e: unknown) {
    unhook();
    if (e instanceof ConfigError || e instanceof StartupError) return opts.fail(e.message, e.exitCode);
    throw e;
  }

  try {
    if (opts.runAs !== null && server.unixPath !== null) {
      chownSync(server.unixPath, opts.runAs.uid, opts.runAs.gid);
    }
    if (pidFile !== null) {
      const err = writePidFile(pidFile, pid, opts.runAs);
      if (err !== null) log.error(err);
      else pidWritten = true;
    }
    if (opts.runAs !== null) {
      dropPrivileges(opts.runAs);
      // The password files were first read as root; every later read runs as the -u user, so
      // read them again now: one that user cannot read fails closed here, at start, with the
      // chown/chmod to run, instead of at the first change after hours of serving.
      opts.sasl?.reload();
      server.reloadAuth();
      if (settings.authFile !== null) {
        // memcached reads the -Y file only after the drop and exits when it cannot: so do we.
        const { asciiAuthStartupMessage, checkAsciiAuthFile } = await import('../auth/ascii-auth.js');
        try {
          checkAsciiAuthFile(settings.authFile);
        } catch (e: unknown) {
          throw new StartupError(asciiAuthStartupMessage(e), ExitCode.Failure);
        }
        opts.asciiAuth?.reload();
      }
    }
    // After the drop: memcached opens this file as the -u user.
    const portFile = process.env[PORT_FILE_ENV];
    if (portFile !== undefined && server.unixPath === null) {
      const err = writePortFile(portFile, server.tcpAddresses, server.udpAddresses);
      if (err !== null) log.error(err);
    }
  } catch (e: unknown) {
    unhook();
    cleanup();
    await server.stopServing(false, GRACEFUL_CLOSE_MS).catch(() => {});
    await server.end();
    const code = e instanceof StartupError ? e.exitCode : ExitCode.OsErr;
    return opts.fail(errorMessage(e), code);
  }

  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  if (opts.isDaemonChild) await sendToParent({ type: 'ready', pid });

  const how = await stopped;
  // memcached: a graceful stop (SIGUSR1, `shutdown graceful`) prints "Gracefully stopping"
  // always; SIGTERM/SIGINT or plain `shutdown` print "Exiting normally" only with -v.
  if (how === 'graceful') log.info('Gracefully stopping');
  else if (log.level > 0) log.info('Exiting normally');

  await server.stopServing(true, GRACEFUL_CLOSE_MS);
  // Only a graceful stop saves (memcached's restart_mmap_close): SIGTERM leaves a cold start.
  if (how === 'graceful' && settings.memoryFile !== null) await server.save();
  await server.end();
  cleanup();
  unhook();
  // A late SIGTERM/SIGINT (a second Ctrl-C, systemd's after an SIGINT) while the process winds
  // down must not turn a clean exit into death by signal.
  const exitNow = (): void => process.exit(process.exitCode ?? ExitCode.Ok);
  process.on('SIGTERM', exitNow);
  process.on('SIGINT', exitNow);
  // Anything left holding the event loop (a stuck socket) must not keep a stopped daemon alive.
  setTimeout(() => process.exit(process.exitCode ?? ExitCode.Ok), 2000).unref();
  return ExitCode.Ok;
}

type StopKind = 'signal' | 'command' | 'graceful';

function sendToParent(msg: DaemonMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(msg, undefined, {}, () => {
      if (process.connected) process.disconnect();
      resolve();
    });
  });
}

/**
 * `-d`: re-run ourselves detached (a new session, stdin from /dev/null, stdout/stderr to the
 * Debian `logfile` outside systemd, kept with -v as memcached's daemon(noclose) does, else
 * /dev/null). The parent exits 0 once the child reports that it listens, or with the child's
 * error and exit code.
 */
async function detach(argv: readonly string[], settings: Settings): Promise<number> {
  let logFd: number | null = null;
  if (settings.logFile !== null && !underSystemd(process.env)) {
    try {
      logFd = openSync(settings.logFile, 'a', 0o640);
    } catch (e: unknown) {
      writeErr(`Could not open logfile ${settings.logFile}: ${errorMessage(e)}`);
    }
  }
  const out = logFd ?? (settings.verbosity > 0 ? 'inherit' : 'ignore');
  const script = process.argv[1] ?? '';
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  if (logFd !== null) closeSync(logFd);

  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (message !== undefined) writeErr(message);
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(ExitCode.OsErr, `memcachedts: the daemon did not start listening within ${DAEMON_READY_MS / 1000} s`);
    }, DAEMON_READY_MS);
    child.on('message', (m: DaemonMessage) => {
      if (m.type === 'ready') finish(ExitCode.Ok);
      else finish(m.exitCode, m.message);
    });
    child.on('error', (e) => finish(ExitCode.OsErr, `failed to daemon() in order to daemonize: ${e.message}`));
    child.on('exit', (code, signal) => {
      finish(code !== null && code !== 0 ? code : ExitCode.Failure, `memcachedts: the daemon exited (${code ?? signal}) before listening`);
    });
  });
}
