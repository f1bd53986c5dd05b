// The queue's Redis URL (src/batch/connection.ts): what it connects to, TLS for rediss://, and the
// password never in what is shown or in an error.

import { describe, expect, it } from 'vitest';
import { queueConnection, redactUrl } from '../src/batch/connection.js';

const quiet = () => {};

describe('the queue URL', () => {
  it('connects where the URL says, with its user, password and database; rediss:// turns TLS on', () => {
    const plain = queueConnection('redis://queue-host:6390/2', '--queue', quiet).options as Record<string, unknown>;
    expect(plain).toMatchObject({ host: 'queue-host', port: 6390, db: 2, maxRetriesPerRequest: null });
    expect(plain.tls).toBeUndefined();
    expect(plain.password).toBeUndefined();
    const tls = queueConnection('rediss://worker:p%40ss@secure:6380', '--queue', quiet).options as Record<string, unknown>;
    expect(tls).toMatchObject({ host: 'secure', port: 6380, db: 0, username: 'worker', password: 'p@ss', tls: { servername: 'secure' } });
    expect(queueConnection('redis://h', '--queue', quiet).options).toMatchObject({ port: 6379 });
  });

  it('shows the URL without its credentials, and refuses what is not a Redis URL without showing them', () => {
    expect(redactUrl('rediss://worker:s3cret@secure:6380/1')).toBe('rediss://***:***@secure:6380/1');
    expect(redactUrl('redis://:s3cret@h:1')).toBe('redis://:***@h:1');
    expect(queueConnection('redis://:s3cret@h:1', '--queue', quiet).shown).toBe('redis://:***@h:1');
    expect(() => queueConnection('http://:s3cret@h:1', '--queue', quiet)).toThrow(
      /^--queue http:\/\/:\*\*\*@h:1\/?: give a redis:\/\/ or rediss:\/\//,
    );
    expect(() => queueConnection('redis://:s3cret@h:1/x', '--queue', quiet)).toThrow(/the database after the host must be a number/);
    expect(() => queueConnection('not a url s3cret', '--queue', quiet)).toThrow(/^--queue \(an unreadable URL\): not a URL/);
  });

  it('says it is retrying, at most every few seconds, and for ever', () => {
    const said: string[] = [];
    const c = queueConnection('redis://:s3cret@h:1', '--queue', (m) => said.push(m));
    const retry = (c.options as { retryStrategy: (times: number) => number | null }).retryStrategy;
    const delays = [1, 2, 3, 50, 1000].map(retry);
    expect(delays.every((d) => typeof d === 'number' && d > 0 && d <= 2000)).toBe(true);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^cannot reach Redis at redis:\/\/:\*\*\*@h:1 \(try 1\); retrying/);
    expect(c.lost).toBe(true);
    c.reconnected();
    expect(said.at(-1)).toBe('connected to Redis at redis://:***@h:1 again');
    expect(said.join('\n')).not.toContain('s3cret');
  });
});
