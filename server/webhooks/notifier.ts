/**
 * Webhooks for job events: every transition of the job book (started, ready, and each end) is
 * put on a bounded queue per receiver and POSTed, signed, by that receiver's worker, in order.
 * The book's listener only enqueues, so a slow or dead receiver never holds up the monitor (nor
 * the other receivers); when a queue is full its oldest event is dropped and the audit log says
 * so. A
 * delivery that fails for good (after its retries, see `delivery.ts`) is audited too.
 *
 * @module
 */
import type { JobTransition } from "../jobs/transitions.ts";
import type { JobBook } from "../jobs/book.ts";
import type { AuditInput } from "../audit/log.ts";
import { payloadOf, type WebhookPayload } from "./event.ts";
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
  /** The `host` of the payloads. */
  hostName: string;
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

  /** Announces every transition of `book` from now on; returns the unsubscribe function. */
  watch(book: Pick<JobBook, "onTransition">): () => void {
    return book.onTransition((t) => this.enqueue(t));
  }

  /** Queues the transition's event for every receiver (never waits). */
  enqueue(t: JobTransition): void {
    if (this.#stop.signal.aborted) return;
    const payload = payloadOf(t, this.#options.hostName, this.#now());
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
    const { job } = payload;
    try {
      this.#options.audit.record({
        ...AUDIT_CALLER,
        action,
        result: "failed",
        domain: job.domain,
        message:
          `${payload.event} of the ${job.type} job on ${job.domain} ${job.target} at ${payload.at}: ${why}`,
      });
    } catch (e) {
      console.error("webhooks: could not write the audit log:", e);
    }
  }
}
