// Test helpers: scrape an endpoint with node's http client, and read the Prometheus text format
// back into families (strict enough to notice a malformed line; promtool does the full check).
import http from 'node:http';

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  help: string;
  type: string;
  samples: Sample[];
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on a fresh connection, bounded in time. */
export function httpRequest(port: number, path: string, opts: { method?: string; host?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: opts.host ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('HTTP request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function scrape(port: number, host = '127.0.0.1'): Promise<Map<string, Family>> {
  const r = await httpRequest(port, '/metrics', { host });
  if (r.status !== 200) throw new Error(`scrape: HTTP ${r.status}: ${r.body}`);
  return parseExposition(r.body);
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { help: '', type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      family(rest.slice(0, sp)).help = rest.slice(sp + 1);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice(7).split(' ');
      family(name).type = type;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let lm = LABEL.exec(m[2]); lm !== null; lm = LABEL.exec(m[2])) {
        labels[lm[1]!] = lm[2]!;
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels: ${JSON.stringify(line)}`);
    }
    const value = Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${JSON.stringify(line)}`);
    family(m[1]!).samples.push({ labels, value });
  }
  return families;
}

/** The value of one sample (labels matched exactly); throws when absent. */
export function valueOf(families: ReadonlyMap<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = families.get(name);
  if (f === undefined) throw new Error(`no family ${name}`);
  const want = JSON.stringify(Object.entries(labels).sort());
  const s = f.samples.find((x) => JSON.stringify(Object.entries(x.labels).sort()) === want);
  if (s === undefined) throw new Error(`no sample ${name}${want}`);
  return s.value;
}
