// Reads apt's source entries (one-line sources.list and deb822 .sources) and writes the deb-src
// twin of the distribution's own `deb` entries, so `apt-get source memcached` can find the
// package that ships memcached's test suite. Pure text in, text out: the runner does the I/O.

export interface AptEntry {
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
  /** A keyring path, or an inline key block (deb822 continuation lines kept as they were). */
  readonly signedBy: string | null;
}

/** `deb [signed-by=/k.gpg arch=amd64] http://mirror/debian bookworm main contrib` lines. */
export function parseOneLineSources(text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    let rest = line;
    const type = /^(\S+)\s+/.exec(rest);
    if (type === null) continue;
    rest = rest.slice(type[0].length);
    let signedBy: string | null = null;
    const options = /^\[([^\]]*)\]\s*/.exec(rest);
    if (options !== null) {
      rest = rest.slice(options[0].length);
      for (const opt of (options[1] ?? '').trim().split(/\s+/)) {
        const eq = opt.indexOf('=');
        if (eq > 0 && opt.slice(0, eq).toLowerCase() === 'signed-by') signedBy = opt.slice(eq + 1);
      }
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (uri === undefined || suite === undefined) continue;
    entries.push({ types: [type[1] ?? ''], uris: [uri], suites: [suite], components, signedBy });
  }
  return entries;
}

/** deb822 stanzas: `Field: value` lines, continuation lines start with a space, blank lines split. */
export function parseDeb822Sources(text: string): AptEntry[] {
  const entries: AptEntry[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let current: string | null = null;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^[ \t]/.test(line)) {
        if (current !== null && line.trim() !== '') fields.set(current, `${fields.get(current) ?? ''}\n${line}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      current = line.slice(0, colon).trim().toLowerCase();
      fields.set(current, line.slice(colon + 1).trim());
    }
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter((w) => w !== '');
    if (!fields.has('types') || (fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    entries.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      signedBy: fields.get('signed-by') ?? null,
    });
  }
  return entries;
}

/**
 * The distribution's own binary entries: type `deb`, every suite one of the release's
 * (`bookworm`, `bookworm-updates`, `bookworm-security`), which leaves out third-party
 * repositories (nodesource's `nodistro`, `cloud-sdk-bookworm`) that publish no sources.
 */
export function distributionEntries(entries: readonly AptEntry[], codename: string): AptEntry[] {
  const ofRelease = (suite: string): boolean => suite === codename || suite.startsWith(`${codename}-`) || suite.startsWith(`${codename}/`);
  return entries.filter((e) => e.types.includes('deb') && e.suites.length > 0 && e.suites.every(ofRelease) && e.uris.length > 0);
}

/** deb822 text with one `Types: deb-src` stanza per entry: same mirror, suites, components, key. */
export function renderDebSrc(entries: readonly AptEntry[], comment: string): string {
  const stanzas = entries.map((e) => {
    const lines = [`Types: deb-src`, `URIs: ${e.uris.join(' ')}`, `Suites: ${e.suites.join(' ')}`];
    if (e.components.length > 0) lines.push(`Components: ${e.components.join(' ')}`);
    if (e.signedBy !== null) lines.push(`Signed-By: ${e.signedBy}`);
    return lines.join('\n');
  });
  return `# ${comment}\n${stanzas.join('\n\n')}\n`;
}

/** VERSION_CODENAME from /etc/os-release text, or null. */
export function osCodename(osRelease: string): string | null {
  const m = /^VERSION_CODENAME=["']?([^"'\n]*)["']?$/m.exec(osRelease);
  return m !== null && m[1] !== '' ? (m[1] ?? null) : null;
}
