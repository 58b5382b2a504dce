// Gets memcached's t/ suite the way a Debian user would: from Debian's source package
// (`apt-get source --download-only memcached`), adding a deb-src entry for the machine's own
// mirror when apt has none. Only t/ is unpacked, into a cache folder outside the repository,
// and reused on later runs: no memcached file is ever committed here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distributionEntries, osCodename, parseDeb822Sources, parseOneLineSources, renderDebSrc, type AptEntry } from './apt-sources.js';
import { SUITE_VERSION } from './files.js';

const SOURCE_PACKAGE = 'memcached';
const DEB_SRC_NAME = 'memcachedts-src.sources';

/** ${XDG_CACHE_HOME:-~/.cache}/memcachedts/conformance, or MEMCACHEDTS_CONFORMANCE_CACHE. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['MEMCACHEDTS_CONFORMANCE_CACHE']) return env['MEMCACHEDTS_CONFORMANCE_CACHE'];
  const base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'memcachedts', 'conformance');
}

/** The folder holding t/ for SUITE_VERSION, fetched and unpacked on first use. */
export function ensureSuite(log: (line: string) => void): string {
  const suiteDir = path.join(cacheDir(), `memcached-${SUITE_VERSION}`);
  // The marker is written last, so a fetch cut short is redone rather than half used.
  const marker = path.join(suiteDir, '.complete');
  if (fs.existsSync(marker)) return suiteDir;

  fs.mkdirSync(path.dirname(suiteDir), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(suiteDir), 'fetch-'));
  try {
    log(`fetching memcached ${SUITE_VERSION}'s test suite from Debian's source package (once; cached in ${suiteDir})`);
    ensureDebSrc(log);
    const download = path.join(work, 'download');
    fs.mkdirSync(download);
    mustRun('apt-get', ['source', '--download-only', '-qq', SOURCE_PACKAGE], { cwd: download });
    const unpacked = unpackTests(download, work);
    fs.writeFileSync(path.join(unpacked, '.complete'), `memcached ${SUITE_VERSION} t/ from Debian's source package\n`);
    fs.rmSync(suiteDir, { recursive: true, force: true });
    try {
      fs.renameSync(unpacked, suiteDir);
    } catch (e: unknown) {
      // Another runner finished the same fetch first: use its copy.
      if (!fs.existsSync(marker)) throw e;
    }
    return suiteDir;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Unpacks <version>/t/ of the upstream (orig) tarball into work/suite; returns that folder. */
function unpackTests(download: string, work: string): string {
  const files = fs.readdirSync(download);
  const dsc = files.find((f) => f.endsWith('.dsc'));
  const orig = files.find((f) => /\.orig\.tar\.[a-z0-9]+$/.test(f));
  if (dsc === undefined || orig === undefined) throw new Error(`apt-get source gave no .dsc and orig tarball (got: ${files.join(', ')})`);
  // Debian's patches touch no file under t/, so the upstream tarball's t/ is the suite as shipped.
  const version = /^Version:\s*(?:\d+:)?([^-\s]+)/m.exec(fs.readFileSync(path.join(download, dsc), 'utf8'))?.[1];
  if (version !== SUITE_VERSION) {
    throw new Error(`Debian's memcached source is ${version ?? 'of unknown version'}; test/conformance/files.ts lists ${SUITE_VERSION}'s files`);
  }
  const suite = path.join(work, 'suite');
  fs.mkdirSync(suite);
  mustRun('tar', ['--no-same-owner', '-xf', path.join(download, orig), '-C', suite, '--strip-components=1', `memcached-${SUITE_VERSION}/t`]);
  if (!fs.existsSync(path.join(suite, 't', 'lib', 'MemcachedTest.pm'))) throw new Error(`${orig} has no t/lib/MemcachedTest.pm`);
  return suite;
}

/** Makes `apt-get source memcached` work: a deb-src twin of the distribution's deb entries. */
function ensureDebSrc(log: (line: string) => void): void {
  if (sourceKnown()) return;
  const places = aptPlaces();
  const debSrcFile = path.join(places.sourceParts, DEB_SRC_NAME);
  if (!fs.existsSync(debSrcFile)) {
    const codename = osCodename(readOr('/etc/os-release', ''));
    if (codename === null) throw new Error('no VERSION_CODENAME in /etc/os-release: add a deb-src entry for your mirror by hand');
    const entries = distributionEntries(readAptEntries(places), codename);
    if (entries.length === 0) throw new Error(`no deb entry for ${codename} in apt's sources: add a deb-src entry for your mirror by hand`);
    const text = renderDebSrc(entries, "Added by memcachedts's conformance runner (test/conformance) to fetch memcached's test suite.");
    log(`adding ${debSrcFile} (deb-src for ${entries.flatMap((e) => e.uris).join(', ')})`);
    asRoot('tee', [debSrcFile], text);
  }
  log('apt-get update');
  asRoot('apt-get', ['update', '-qq']);
  if (!sourceKnown()) throw new Error(`apt still knows no source package ${SOURCE_PACKAGE} after adding ${debSrcFile}`);
}

interface AptPlaces {
  readonly sourceList: string;
  readonly sourceParts: string;
}

/** Where apt reads its sources, as apt-config says (it honours APT_CONFIG). */
function aptPlaces(): AptPlaces {
  const r = spawnSync('apt-config', ['shell', 'LIST', 'Dir::Etc::sourcelist/f', 'PARTS', 'Dir::Etc::sourceparts/d'], { encoding: 'utf8' });
  const value = (name: string, fallback: string): string => new RegExp(`^${name}='([^']*)'$`, 'm').exec(r.stdout ?? '')?.[1] ?? fallback;
  return { sourceList: value('LIST', '/etc/apt/sources.list'), sourceParts: value('PARTS', '/etc/apt/sources.list.d/') };
}

function readAptEntries(places: AptPlaces): AptEntry[] {
  const entries = parseOneLineSources(readOr(places.sourceList, ''));
  const dir = places.sourceParts;
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const name of names) {
    // apt reads only these two suffixes; anything else in the folder is ignored (so here too).
    if (name.endsWith('.list')) entries.push(...parseOneLineSources(readOr(path.join(dir, name), '')));
    else if (name.endsWith('.sources')) entries.push(...parseDeb822Sources(readOr(path.join(dir, name), '')));
  }
  return entries;
}

function sourceKnown(): boolean {
  const r = spawnSync('apt-get', ['source', '--print-uris', '-qq', SOURCE_PACKAGE], { cwd: os.tmpdir(), encoding: 'utf8' });
  return r.status === 0 && /\.orig\.tar\./.test(r.stdout);
}

function asRoot(cmd: string, args: readonly string[], input?: string): void {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && spawnSync('sudo', ['-V'], { stdio: 'ignore' }).error !== undefined) {
    throw new Error(`apt has no deb-src entry for memcached, and adding one needs root: run once as root, or install sudo`);
  }
  const argv = isRoot ? [cmd, ...args] : ['sudo', cmd, ...args];
  mustRun(argv[0] ?? cmd, argv.slice(1), input === undefined ? {} : { input, quiet: true });
}

function mustRun(cmd: string, args: readonly string[], opts: { cwd?: string; input?: string; quiet?: boolean } = {}): void {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.quiet === true ? 'ignore' : 'pipe', 'pipe'],
  });
  if (r.error !== undefined) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim()}`);
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
