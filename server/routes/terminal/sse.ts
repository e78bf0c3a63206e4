/**
 * Server-Sent Events plumbing shared by the output stream and the event log: replay what the
 * page missed, then live messages, written one at a time, with a heartbeat, until the page goes
 * away or the source ends.
 *
 * @module
 */
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";

/** One SSE message. `id` is the sequence number a reconnecting EventSource sends back. */
export interface SseMessage {
  id: number;
  event: string;
  data: string;
}

/** Where an SSE response gets its messages. */
export interface SseSource {
  /** Messages after `lastId` (0 for a new connection), read in the same tick as `subscribe`. */
  backlog(lastId: number): SseMessage[];
  /** Live messages; `end()` closes the response after what was queued. Returns an unsubscribe. */
  subscribe(push: (m: SseMessage) => void, end: () => void): () => void;
  /** True when the backlog already ends the stream (a finished session). */
  ended?(): boolean;
}

/** Heartbeat comment interval: keeps proxies from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

/** The `Last-Event-ID` a reconnecting EventSource sends, or 0. */
export function lastEventId(c: Context): number {
  const n = Number(c.req.header("last-event-id") ?? "0");
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Answers with an SSE stream fed by `source`. */
export function serveSse(c: Context, source: SseSource): Response {
  return streamSSE(c, async (stream: SSEStreamingApi) => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => finish = resolve);
    // Deno cancels the response body when the page goes away; Hono turns that into onAbort.
    stream.onAbort(finish);
    let lastSent = lastEventId(c);
    let chain = Promise.resolve();
    const push = (m: SseMessage) => {
      if (m.id <= lastSent) return;
      lastSent = m.id;
      chain = chain.then(() =>
        stream.aborted
          ? undefined
          : stream.writeSSE({ id: String(m.id), event: m.event, data: m.data })
      ).catch(finish);
    };
    const end = () => {
      chain = chain.then(finish, finish);
    };
    for (const m of source.backlog(lastSent)) push(m);
    const unsubscribe = source.subscribe(push, end);
    if (source.ended?.()) end();
    const heartbeat = setInterval(() => {
      chain = chain.then(() => stream.aborted ? undefined : stream.write(": ping\n\n")).then(
        () => {},
        finish,
      );
    }, HEARTBEAT_MS);
    try {
      await finished;
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      await chain.catch(() => {});
    }
  });
}
