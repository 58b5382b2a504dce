// Certificates for TLS tests, made at test time by Debian's openssl in a temporary folder (no
// key is ever committed): a CA, and keys with certificates it signs for any name.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { run } from './tools.js';

export const OPENSSL = '/usr/bin/openssl';

export class TestCerts {
  readonly dir: string;
  private caPem: Buffer | null;

  private constructor(dir: string) {
    this.dir = dir;
    this.caPem = null;
  }

  /** A folder with a fresh CA (`ca.pem`, `ca.key`) and a certificate for each name (`NAME.pem`, `NAME.key`). */
  static async create(names: readonly string[]): Promise<TestCerts> {
    const certs = new TestCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'memcachedts-tls-')));
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', certs.file('ca.key'), '-out', certs.file('ca.pem'), '-days', '1', '-subj', '/CN=memcachedts test CA']);
    for (const name of names) await certs.issue(name);
    certs.caPem = fs.readFileSync(certs.file('ca.pem'));
    return certs;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** NAME.key and NAME.pem, a certificate for subject `/O=<org>/CN=NAME` signed by the CA. */
  async issue(name: string, org = 'memcachedts tests'): Promise<void> {
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', this.file(name + '.key'), '-out', this.file(name + '.csr'), '-subj', `/O=${org}/CN=${name}`]);
    await openssl(['x509', '-req', '-in', this.file(name + '.csr'), '-CA', this.file('ca.pem'), '-CAkey', this.file('ca.key'), '-CAcreateserial', '-out', this.file(name + '.pem'), '-days', '1']);
  }

  /** `-o ssl_chain_cert=NAME.pem,ssl_key=NAME.key` and any further ssl_* options. */
  sslOption(name: string, ...more: string[]): string {
    return [`ssl_chain_cert=${this.file(name + '.pem')}`, `ssl_key=${this.file(name + '.key')}`, ...more].join(',');
  }

  /** A Node client's options: trust the CA, skip the host name check (certificates name CN=NAME). */
  clientOptions(port: number, extra: tls.ConnectionOptions = {}): tls.ConnectionOptions {
    assert.ok(this.caPem !== null);
    return { host: '127.0.0.1', port, ca: this.caPem, checkServerIdentity: () => undefined, ...extra };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function openssl(args: string[]): Promise<void> {
  const r = await run(OPENSSL, args, { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
}
