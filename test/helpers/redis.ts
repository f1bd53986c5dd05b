// A real redis-server for the queue tests, on a free loopback port, its data in a folder of the
// test's (append-only file on, so that a restart keeps the queue). Debian's redis-server is
// installed by scripts/setup.sh; without it the tests that need it are skipped, and CI fails.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';

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
  ) {}

  /** The URL clients use, with the password if there is one. */
  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes'];
    if (this.password) args.push('--requirepass', this.password);
    this.child = spawn(REDIS_SERVER!, args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await answers(this.port, this.password)) return;
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
    const text = await command(this.port, 'INFO memory', this.password);
    return Number(/used_memory:(\d+)/.exec(text)![1]);
  }
}

async function answers(port: number, password?: string): Promise<boolean> {
  try {
    return (await command(port, 'PING', password)).includes('PONG');
  } catch {
    return false;
  }
}

/** One inline command (after AUTH when there is a password), its reply as text (enough for PING and INFO). */
function command(port: number, line: string, password?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
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
    socket.connect(port, '127.0.0.1', () => socket.write(`${password ? `AUTH ${password}\r\n` : ''}${line}\r\n`));
  });
}
