// The Redis a queue lives on, from a redis:// or rediss:// (TLS) URL with an optional user,
// password and database number: BullMQ's connection options, with a retry that never gives up and
// says so (throttled), and the URL as it may be printed (the password never is).

import type { ConnectionOptions } from 'bullmq';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { UserError } from '../util/errors.js';

/** Seconds between reconnection tries, at most. */
const RETRY_MAX_MS = 2000;
/** A message about a lost connection at most this often. */
const SAY_EVERY_MS = 5000;

/** `url` as it may be shown: any user and password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = '***';
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

export interface QueueConnection {
  options: ConnectionOptions;
  /** The URL without its credentials. */
  shown: string;
  /** True from a failed connection until `reconnected()` is called after a command succeeded. */
  readonly lost: boolean;
  /** The client's last connection error (its queue's or worker's 'error' event), said with the next retry. */
  noteError(err: Error): void;
  reconnected(): void;
}

export interface QueueTls {
  /** A PEM file of the CA(s) that signed the server's certificate, trusted besides the system's. */
  caFile?: string;
  /** The option that named it, for messages. */
  caFlag?: string;
}

/**
 * Connection options for `url`. Commands wait while the connection is down (maxRetriesPerRequest
 * null, as BullMQ's workers require) and the client tries again every 2 s at most, for ever.
 */
export function queueConnection(url: string, flag: string, log: (message: string) => void, tls: QueueTls = {}): QueueConnection {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${flag} ${shown}: not a URL; give redis://host:port (or rediss:// for TLS, redis://:password@host:port/0)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`${flag} ${shown}: give a redis:// or rediss:// (TLS) URL, such as redis://localhost:6379`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UserError(`${flag} ${shown}: the database after the host must be a number, such as /0`);
  if (tls.caFile && u.protocol !== 'rediss:')
    throw new UserError(`${tls.caFlag ?? '--queue-ca'} is for TLS: give a rediss:// URL (${shown} is plain TCP)`);
  let lost = false;
  let said = 0;
  let reason = '';
  const retryStrategy = (times: number): number => {
    lost = true;
    const now = Date.now();
    if (now - said >= SAY_EVERY_MS) {
      said = now;
      log(`cannot reach Redis at ${shown} (try ${times}${reason}); retrying every ${RETRY_MAX_MS / 1000} s, nothing is lost meanwhile`);
    }
    return Math.min(times * 200, RETRY_MAX_MS);
  };
  const options: ConnectionOptions = {
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // SNI names a host, never an address (RFC 6066; Node warns).
    ...(u.protocol === 'rediss:' ? { tls: { ...(isIP(u.hostname) ? {} : { servername: u.hostname }), ...readCa(tls) } } : {}),
    maxRetriesPerRequest: null,
    retryStrategy,
  };
  return {
    options,
    shown,
    get lost() {
      return lost;
    },
    noteError(err: Error) {
      reason = `: ${whyUnreachable(err, tls.caFlag ?? '--queue-ca')}`;
    },
    reconnected() {
      reason = '';
      if (!lost) return;
      lost = false;
      said = 0;
      log(`connected to Redis at ${shown} again`);
    },
  };
}

/** The extra CA for a rediss:// connection. Node's `ca` replaces the system's CAs: both are given, so a public certificate still works. */
function readCa(tls: QueueTls): { ca?: string[] } {
  if (!tls.caFile) return {};
  let pem: string;
  try {
    pem = readFileSync(tls.caFile, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(
      `${tls.caFlag ?? '--queue-ca'} ${tls.caFile}: cannot read it (${why}); give the PEM file of the CA that signed the Redis server's certificate`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new UserError(
      `${tls.caFlag ?? '--queue-ca'} ${tls.caFile}: not a PEM certificate; give the CA's certificate file (-----BEGIN CERTIFICATE-----)`,
    );
  return { ca: [...rootCertificates, pem] };
}

/** Node's codes for a server certificate that does not check out against the CAs trusted. */
const UNTRUSTED_CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY)/;

/** A connection error as a person reads it: a certificate not trusted names its fix. */
function whyUnreachable(err: Error, caFlag: string): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED_CERTIFICATE.test(code))
    return `its TLS certificate is not trusted (${err.message}): give the CA that signed it with ${caFlag} <file>`;
  return err.message;
}
