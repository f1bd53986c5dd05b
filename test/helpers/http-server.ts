// A file server on 127.0.0.1 for download tests: Range support, and faults on demand.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerFaults {
  /** Cut the connection after this many body bytes, for the first `times` requests. */
  dropAfter?: { bytes: number; times: number };
  /** Answer every request with the whole file (status 200), as servers without Range do. */
  ignoreRange?: boolean;
  /** Send the first 1000 body bytes, then wait this long before the rest (a slow download). */
  holdMs?: number;
}

export interface TestServer {
  url(path: string): string;
  requests: Array<{ path: string; range: string | undefined; status: number }>;
  faults: ServerFaults;
  close(): Promise<void>;
}

export async function startServer(files: Map<string, Uint8Array>): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const faults: ServerFaults = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const file = files.get(path);
    const record = (status: number) => requests.push({ path, range: req.headers.range, status });
    if (!file) {
      record(404);
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (match && !faults.ignoreRange) start = Number(match[1]);
    if (start >= file.byteLength && start > 0) {
      record(416);
      res.writeHead(416, { 'Content-Range': `bytes */${file.byteLength}` }).end();
      return;
    }
    const status = start > 0 ? 206 : 200;
    record(status);
    const body = file.subarray(start);
    res.writeHead(status, {
      'Content-Length': body.byteLength,
      'Accept-Ranges': 'bytes',
      ...(status === 206 ? { 'Content-Range': `bytes ${start}-${file.byteLength - 1}/${file.byteLength}` } : {}),
    });
    const drop = faults.dropAfter;
    if (drop && drop.times > 0) {
      drop.times--;
      // Closed with a FIN once the bytes are out, not reset: a reset lets the client's kernel drop
      // bytes it received but had not read yet (on a loaded machine the resume then starts at 0).
      res.write(body.subarray(0, drop.bytes), () => setTimeout(() => res.socket?.end(), 20));
      return;
    }
    if (faults.holdMs) {
      res.write(body.subarray(0, 1000), () => setTimeout(() => res.end(body.subarray(1000)), faults.holdMs));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    faults,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
