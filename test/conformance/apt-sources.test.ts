import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributionEntries, osCodename, parseDeb822Sources, parseOneLineSources, renderDebSrc } from './apt-sources.js';

// This machine's /etc/apt/sources.list.d/debian.sources, plus a disabled stanza and a
// third-party repository that publishes no sources.
const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian
Suites: bookworm-backports
Components: main
Enabled: no

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/nodesource.gpg
`;

test('deb822: stanzas, comments inside them, Enabled: no', () => {
  const entries = parseDeb822Sources(DEB822);
  assert.equal(entries.length, 3);
  assert.deepEqual(entries[0], {
    types: ['deb'],
    uris: ['http://deb.debian.org/debian'],
    suites: ['bookworm', 'bookworm-updates'],
    components: ['main'],
    signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
  });
  assert.deepEqual(entries[2]?.suites, ['nodistro']);
});

test('deb822: an inline Signed-By key block is kept line for line', () => {
  const text = 'Types: deb\nURIs: http://m/debian\nSuites: trixie\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n';
  const [entry] = parseDeb822Sources(text);
  assert.equal(entry?.signedBy, '\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----');
  assert.match(renderDebSrc(distributionEntries([entry!], 'trixie'), 'c'), /\nSigned-By: \n -----BEGIN PGP PUBLIC KEY BLOCK-----\n \.\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n$/);
});

test('one-line format: options, comments, deb-src lines', () => {
  const text = [
    '# the mirror',
    'deb http://deb.debian.org/debian bookworm main contrib # trailing comment',
    'deb [ arch=amd64 signed-by=/usr/share/keyrings/x.gpg ] http://security.debian.org/debian-security bookworm-security main',
    'deb-src http://deb.debian.org/debian bookworm main',
    'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
    '',
  ].join('\n');
  const entries = parseOneLineSources(text);
  assert.equal(entries.length, 4);
  assert.deepEqual(entries[0], { types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm'], components: ['main', 'contrib'], signedBy: null });
  assert.equal(entries[1]?.signedBy, '/usr/share/keyrings/x.gpg');
  assert.equal(entries[1]?.uris[0], 'http://security.debian.org/debian-security');
  assert.deepEqual(entries[2]?.types, ['deb-src']);
  // Only the release's own deb entries are mirrored: not deb-src, not cloud-sdk-bookworm.
  assert.deepEqual(distributionEntries(entries, 'bookworm').map((e) => e.suites[0]), ['bookworm', 'bookworm-security']);
});

test('the deb-src file names the same mirrors, suites, components and keys', () => {
  const text = renderDebSrc(distributionEntries(parseDeb822Sources(DEB822), 'bookworm'), 'Added by a test.');
  assert.equal(
    text,
    [
      '# Added by a test.',
      'Types: deb-src',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb-src',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
    ].join('\n'),
  );
  // What it writes, apt reads back as the same entries with the type changed.
  const back = parseDeb822Sources(text);
  assert.deepEqual(back.map((e) => e.types), [['deb-src'], ['deb-src']]);
  assert.deepEqual(back.map((e) => e.uris[0]), ['http://deb.debian.org/debian', 'http://deb.debian.org/debian-security']);
});

test('codename from /etc/os-release', () => {
  assert.equal(osCodename('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'), 'bookworm');
  assert.equal(osCodename('VERSION_CODENAME="jammy"\n'), 'jammy');
  assert.equal(osCodename('ID=debian\n'), null);
});
