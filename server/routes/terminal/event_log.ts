/**
 * The live event log: the last `virsh event --all --loop --timestamp` lines, parsed enough to
 * filter by domain and to tell the page that a block job changed (ready enables Pivot at once).
 *
 * @module
 */
import { parseEventLine } from "../../virsh/parse/event.ts";

/** How many event lines are kept for a page that connects later. */
export const EVENT_LOG_SIZE = 200;

/** One event line as the browser receives it. */
export interface EventLine {
  seq: number;
  /** The line as virsh printed it (trailing newline removed). */
  line: string;
  /** The domain name, when the line names one. */
  domain: string | null;
  /** For `block-job-2` lines: the disk target and status (`ready`, `completed`, ...). */
  blockJob: { disk: string; status: string; jobType: string } | null;
}

/** Builds an {@link EventLine} from a raw line. Pure. */
export function describeEventLine(seq: number, raw: string): EventLine {
  const line = raw.replace(/\r?\n$/, "");
  const ev = parseEventLine(line);
  const blockJob = ev?.kind === "block-job" && ev.event === "block-job-2"
    ? { disk: ev.disk, status: ev.status, jobType: ev.jobTypeName }
    : null;
  return { seq, line, domain: ev?.domain ?? null, blockJob };
}

/** A ring buffer of event lines with live subscribers. */
export class EventLog {
  #entries: EventLine[] = [];
  #seq = 0;
  #listeners = new Set<(e: EventLine) => void>();
  readonly #size: number;

  constructor(size = EVENT_LOG_SIZE) {
    this.#size = size;
  }

  /** Adds a raw line (blank lines and `events received` counters are skipped). */
  push(raw: string): void {
    if (raw.trim() === "" || /^events received/.test(raw.trim())) return;
    const entry = describeEventLine(++this.#seq, raw);
    this.#entries.push(entry);
    if (this.#entries.length > this.#size) this.#entries.shift();
    for (const l of this.#listeners) {
      try {
        l(entry);
      } catch { /* one slow page must not stop the others */ }
    }
  }

  /** The kept lines after `seq` (all kept lines for 0 or a seq from before a restart). */
  after(seq: number): EventLine[] {
    if (seq > this.#seq) return [...this.#entries];
    return this.#entries.filter((e) => e.seq > seq);
  }

  /** Live lines from now on; returns an unsubscribe. */
  subscribe(listener: (e: EventLine) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
