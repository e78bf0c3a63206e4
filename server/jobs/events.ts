/**
 * The one `virsh event --all --loop --timestamp` listener: every line goes to the live event log's
 * subscribers and, parsed, to the {@link JobBook} (ready, terminal states, domains stopping).
 * When virsh exits (a libvirtd restart: `client socket is closed`) it is restarted with backoff
 * and a resync is asked for, since events in the gap are lost.
 *
 * @module
 */
import { eventLoopArgs } from "../virsh/commands.ts";
import { parseEventLine, type VirshEvent } from "../virsh/parse/event.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { JobBook } from "./book.ts";
import { applyEvent } from "./book_events.ts";
import type { LibvirtReachability } from "./libvirt_seen.ts";
import { LineStream } from "./line_stream.ts";

/** State of the event listener, for the page's status line. */
export type ListenerState = "off" | "connecting" | "listening" | "reconnecting";

/** Options of {@link EventListener}. */
export interface EventListenerOptions {
  libvirt: LibvirtReachability;
  now: () => number;
  /** First and maximum restart delay. */
  backoffMs: { initial: number; max: number };
  /** The book learnt of something it does not follow, or events may have been lost. */
  wantResync: () => void;
}

/** Runs and restarts `virsh event`; see the module doc. */
export class EventListener {
  readonly #book: JobBook;
  readonly #options: EventListenerOptions;
  readonly #subscribers = new Set<(line: string) => void>();
  readonly #stream: LineStream;
  #state: ListenerState = "off";

  constructor(runner: VirshRunner, book: JobBook, options: EventListenerOptions) {
    this.#book = book;
    this.#options = options;
    this.#stream = new LineStream(runner, {
      argv: eventLoopArgs,
      onLine: (line) => this.handleLine(line),
      backoffMs: options.backoffMs,
      now: options.now,
      onRun: (restart) => {
        this.#state = restart ? "reconnecting" : "connecting";
        if (restart) options.wantResync(); // events in the gap are lost
      },
      onOutput: () => {
        this.#state = "listening";
        options.libvirt.seen();
      },
      // libvirtd went away (`client socket is closed`) or is not up yet: the stream retries.
      onError: (e) => options.libvirt.failed(e),
      onEnded: () => (this.#state = "reconnecting"),
    });
  }

  /** State of the listener. */
  get state(): ListenerState {
    return this.#state;
  }

  /** Starts listening (and restarting) until {@link stop}. */
  start(): void {
    this.#stream.start();
  }

  /** Kills `virsh event` and ends the restart loop. */
  async stop(): Promise<void> {
    await this.#stream.stop();
    this.#state = "off";
  }

  /** Receives every raw line (the live event log). Returns an unsubscribe function. */
  subscribe(listener: (line: string) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /** Handles one line of `virsh event --all --loop --timestamp` output. */
  handleLine(line: string): void {
    for (const l of this.#subscribers) {
      try {
        l(line);
      } catch { /* a viewer's failure must not stop job tracking */ }
    }
    let event: VirshEvent | null;
    try {
      event = parseEventLine(line, this.#book.names.names());
    } catch {
      return;
    }
    if (event && applyEvent(this.#book, event)) this.#options.wantResync();
  }
}
