// A real redis-server for the queue tests, on a free loopback port, its data in a folder of the
// test's (append-only file on, so that a restart keeps the queue). Debian's redis-server is
// installed by scripts/setup.sh; without it the tests that need it are skipped, and CI fails.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export const REDIS_SERVER = spawnSync('redis-server', ['--version']).status === 0 ? 'redis-server' : null;
if (!REDIS_SERVER && process.env.CI)
  throw new Error('redis-server is missing: scripts/setup.sh installs it (apt-get install redis-server)');

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export class RedisServer {
  private child: ChildProcess | null = null;
  constructor(
    readonly port: number,
    private readonly dir: string,
    /** Required of clients (requirepass) when given. */
    readonly password?: string,
    /** TLS only (no plain port), with this certificate and key; clients check it against `ca`. */
    readonly tls?: TlsFiles,
  ) {}

  /** The URL clients use, with the password if there is one. */
  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes'];
    if (this.tls) {
      args.push('--port', '0', '--tls-port', String(this.port), '--tls-auth-clients', 'no');
      args.push('--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key, '--tls-ca-cert-file', this.tls.ca);
    } else args.push('--port', String(this.port));
    if (this.password) args.push('--requirepass', this.password);
    this.child = spawn(REDIS_SERVER!, args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await answers(this.port, this.password, this.tls)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** SIGTERM (Redis writes its append-only file and exits), waiting for the exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise((r) => {
      child.on('exit', r);
      child.kill('SIGTERM');
    });
    this.child = null;
  }

  /** Bytes of memory Redis uses (INFO memory's used_memory). */
  async usedMemory(): Promise<number> {
    const text = await command(this.port, 'INFO memory', this.password, this.tls);
    return Number(/used_memory:(\d+)/.exec(text)![1]);
  }
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

async function answers(port: number, password?: string, tls?: TlsFiles): Promise<boolean> {
  try {
    return (await command(port, 'PING', password, tls)).includes('PONG');
  } catch {
    return false;
  }
}

/** One inline command (after AUTH when there is a password), its reply as text (enough for PING and INFO). */
function command(port: number, line: string, password?: string, tls?: TlsFiles): Promise<string> {
  return new Promise((resolve, reject) => {
    const send = () => socket.write(`${password ? `AUTH ${password}\r\n` : ''}${line}\r\n`);
    const socket = tls ? tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(tls.ca), servername: 'localhost' }, send) : new Socket();
    let reply = '';
    socket.on('error', reject);
    socket.on('data', (d) => {
      reply += d;
      if (password && reply.startsWith('+OK\r\n')) reply = reply.slice(5);
      else if (password && reply.startsWith('-')) return reject(new Error(reply));
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (reply.startsWith('+') || reply.startsWith('-') || (bulk && reply.length >= bulk[0].length + Number(bulk[1]))) {
        socket.destroy();
        resolve(reply);
      }
    });
    if (!tls) socket.connect(port, '127.0.0.1', send);
  });
}

/**
 * Whether this redis-server was built with TLS (Debian's is): a build without it knows no tls-*
 * directive ('Bad directive'); one with it refuses the port 'x' as not a number.
 */
export const REDIS_TLS =
  REDIS_SERVER !== null &&
  /couldn't be parsed into an integer/.test(spawnSync(REDIS_SERVER, ['--tls-port', 'x'], { encoding: 'utf8' }).stderr ?? '');

/**
 * A private CA and a server certificate it signed for 127.0.0.1 and localhost, made by openssl
 * in `dir` (what a site running Redis with TLS on its own CA has).
 */
export function makeTlsFiles(dir: string): TlsFiles {
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr || r.error}`);
  };
  const caKey = join(dir, 'ca.key');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    files.ca,
    '-days',
    '2',
    '-subj',
    '/CN=wgpu-style test CA',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.key, '-out', csr, '-subj', '/CN=127.0.0.1');
  openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    files.cert,
    '-days',
    '2',
    '-extfile',
    ext,
  );
  return files;
}
