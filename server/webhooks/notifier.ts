/**
 * Webhooks for the events of the whole control plane, one notifier over several sources: every
 * host's job book (started, ready, and each end), every host's storage moves and the live
 * migrations (see `event.ts`). Each event is put on a bounded queue per receiver and POSTed,
 * signed, by that receiver's worker, in order. The sources' listeners only enqueue, so a slow or
 * dead receiver never holds up a monitor (nor the other receivers); when a queue is full its
 * oldest event is dropped and the audit log says so. A delivery that fails for good (after its
 * retries, see `delivery.ts`) is audited too.
 *
 * @module
 */
import type { JobBook } from "../jobs/book.ts";
import type { AuditInput } from "../audit/log.ts";
import type { MigrationSource } from "../migrations/events.ts";
import { type MoveSource, onMoveEvent } from "../moves/events.ts";
import {
  migrationPayloadOf,
  movePayloadOf,
  payloadOf,
  subjectOf,
  type WebhookPayload,
} from "./event.ts";
import { signatureOf } from "./signature.ts";
import { deliver, type DeliveryOptions } from "./delivery.ts";
import { shownUrl } from "./settings.ts";

/** Where failures are written (the audit log). */
export interface WebhookAudit {
  record(input: AuditInput): unknown;
}

/** Options of {@link WebhookNotifier}. */
export interface WebhookNotifierOptions extends DeliveryOptions {
  /** Receivers, each gets every event. */
  urls: readonly string[];
  /** The HMAC key of `X-Blockboard-Signature`. */
  secret: string;
  audit: WebhookAudit;
  /** Events waiting at most (default 1000); more drop the oldest. */
  queueLimit?: number;
  now?: () => number;
}

/** The caller of the audit rows webhooks write: the server itself. */
const AUDIT_CALLER = { user: "blockboard", role: "system", client: "" } as const;

/** One receiver's queue and worker: a dead receiver never delays the others. */
class ReceiverLane {
  readonly queue: WebhookPayload[] = [];
  working: Promise<void> | null = null;
  constructor(readonly url: string) {}
}

/** See the module doc. */
export class WebhookNotifier {
  readonly #options: WebhookNotifierOptions;
  readonly #lanes: ReceiverLane[];
  readonly #limit: number;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  /** Deliveries made (receiver × event), for tests and logs. */
  delivered = 0;
  /** Deliveries that failed for good. */
  failed = 0;
  /** Events dropped from a full queue (per receiver). */
  dropped = 0;

  constructor(options: WebhookNotifierOptions) {
    this.#options = options;
    this.#lanes = options.urls.map((url) => new ReceiverLane(url));
    this.#limit = Math.max(1, options.queueLimit ?? 1000);
    this.#now = options.now ?? Date.now;
  }

  /** Announces every job transition of `book` (host `host`'s) from now on; returns the unsubscribe. */
  watchJobs(host: string, book: Pick<JobBook, "onTransition">): () => void {
    return book.onTransition((t) => this.enqueue(payloadOf(t, host, this.#now())));
  }

  /** Announces every start and end of a migration of `source` from now on. */
  watchMigrations(source: Pick<MigrationSource, "onEvent">): () => void {
    return source.onEvent((e) => this.enqueue(migrationPayloadOf(e, this.#now())));
  }

  /** Announces every start, ready and end of a storage move of host `host` from now on. */
  watchMoves(host: string, moves: MoveSource): () => void {
    return onMoveEvent(moves, (e) => this.enqueue(movePayloadOf(e, host, this.#now())));
  }

  /** Queues `payload` for every receiver (never waits). */
  enqueue(payload: WebhookPayload): void {
    if (this.#stop.signal.aborted) return;
    for (const lane of this.#lanes) {
      lane.queue.push(payload);
      if (lane.queue.length > this.#limit) {
        const lost = lane.queue.shift()!;
        this.dropped++;
        this.#audit(
          "webhook.dropped",
          lost,
          `${shownUrl(lane.url)}: the queue was full (${this.#limit} events)`,
        );
      }
      lane.working ??= this.#work(lane).finally(() => (lane.working = null));
    }
  }

  /** Resolves when every queue is empty and nothing is being delivered. */
  async idle(): Promise<void> {
    for (const lane of this.#lanes) {
      while (lane.working) await lane.working;
    }
  }

  /**
   * Stops: no new events, the current deliveries end without further attempts; what they and
   * the queues still held is audited as not delivered. Call before closing the audit log.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.idle();
  }

  async #work(lane: ReceiverLane): Promise<void> {
    while (lane.queue.length > 0) {
      const payload = lane.queue.shift()!;
      const body = JSON.stringify(payload);
      const result = await deliver({
        url: lane.url,
        body,
        signal: this.#stop.signal,
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "blockboard-webhook",
          "X-Blockboard-Event": payload.event,
          "X-Blockboard-Delivery": crypto.randomUUID(),
          "X-Blockboard-Signature": await signatureOf(this.#options.secret, body),
        },
      }, this.#options);
      if (result.ok) {
        this.delivered++;
        continue;
      }
      this.failed++;
      this.#audit(
        "webhook.delivery",
        payload,
        `${shownUrl(lane.url)}: not delivered after ${result.attempts} attempt(s): ${result.error}`,
      );
    }
  }

  #audit(action: string, payload: WebhookPayload, why: string): void {
    const { domain, phrase } = subjectOf(payload);
    try {
      this.#options.audit.record({
        ...AUDIT_CALLER,
        action,
        result: "failed",
        domain,
        message: `${payload.event} of ${phrase} at ${payload.at}: ${why}`,
      });
    } catch (e) {
      console.error("webhooks: could not write the audit log:", e);
    }
  }
}
