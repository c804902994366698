// The Redis side of sweeps: URLs (a password in the URL and TLS through rediss:// are handed
// to ioredis as they are), a reachability probe that fails fast with one line, and the
// BullMQ queue all workers listen on. Redis has no authentication by default: what crosses
// it is job configs and results, never data sets.
import * as net from "net";
import { Queue } from "bullmq";
import { CliUsageError } from "./flags";

/** Default queue name: workers started before any sweep need no other name. */
export const DEFAULT_QUEUE_NAME = "initlab-sweeps";

/** Validates a redis:// or rediss:// URL (usage error otherwise). */
export function parseRedisUrl(text: string, flag = "--queue"): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CliUsageError(`${flag}: "${text}" is not a URL (expected redis://host:port or rediss://host:port)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new CliUsageError(`${flag}: "${redact(text)}" must start with redis:// or rediss:// (TLS)`);
  if (!u.hostname) throw new CliUsageError(`${flag}: "${redact(text)}" names no host`);
  return u;
}

/** The URL without its password, for messages and files. */
export function redact(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return text.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  }
}

/** Opens a TCP connection to the URL's host and port (reachability only; TLS and auth come later). */
export function probeRedis(url: URL, timeoutMs = 3000): Promise<void> {
  const port = Number(url.port || 6379);
  const where = redact(url.toString());
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port });
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`cannot reach Redis at ${where}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.once("connect", () => done());
    sock.once("error", (e: NodeJS.ErrnoException) =>
      done(new Error(`cannot reach Redis at ${where}: ${e.code ?? e.message}`)),
    );
  });
}

/** The minimal part of an ioredis client that sweeps use. */
export interface RedisClient {
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: "error", fn: (e: Error) => void): unknown;
}

/** An ioredis client for the URL (BullMQ needs maxRetriesPerRequest null on its connections). */
export function connectRedis(url: URL): RedisClient {
  let IORedis: new (url: string, opts: Record<string, unknown>) => RedisClient;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("ioredis") as { default?: typeof IORedis } & typeof IORedis;
    IORedis = mod.default ?? mod;
  } catch {
    throw new Error("the npm package ioredis (BullMQ's Redis client) is not installed: run `npm install`");
  }
  const client = new IORedis(url.toString(), { maxRetriesPerRequest: null });
  // ioredis reconnects by itself; a listener keeps an error event from crashing the process.
  client.on("error", () => {});
  return client;
}

export interface OpenQueue {
  queue: Queue;
  /** Closes the queue and its connection (BullMQ leaves a connection it was given open). */
  close(): Promise<void>;
}

/** The sweep queue on this Redis, ready (or a one-line error naming the URL). */
export async function openQueue(url: URL, name: string, timeoutMs = 10000): Promise<OpenQueue> {
  await probeRedis(url);
  const client = connectRedis(url);
  const queue = new Queue(name, { connection: client as never });
  const close = async () => {
    await queue.close().catch(() => {});
    await client.quit().catch(() => client.disconnect());
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Redis at ${redact(url.toString())} accepted the connection but did not answer in ${timeoutMs} ms (password or TLS?)`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    await close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { queue, close };
}
