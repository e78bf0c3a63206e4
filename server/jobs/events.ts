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
  readonly #runner: VirshRunner;
  readonly #book: JobBook;
  readonly #options: EventListenerOptions;
  readonly #subscribers = new Set<(line: string) => void>();
  #state: ListenerState = "off";
  #stopped = true;
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(runner: VirshRunner, book: JobBook, options: EventListenerOptions) {
    this.#runner = runner;
    this.#book = book;
    this.#options = options;
  }

  /** State of the listener. */
  get state(): ListenerState {
    return this.#state;
  }

  /** Starts listening (and restarting) until {@link stop}. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#listen();
  }

  /** Kills `virsh event` and ends the restart loop. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
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
      event = parseEventLine(line, this.#book.knownNames());
    } catch {
      return;
    }
    if (event && applyEvent(this.#book, event)) this.#options.wantResync();
  }

  async #listen(): Promise<void> {
    const { initial, max } = this.#options.backoffMs;
    let delay = initial;
    let first = true;
    while (!this.#stopped) {
      const abort = new AbortController();
      this.#abort = abort;
      this.#state = first ? "connecting" : "reconnecting";
      if (!first) this.#options.wantResync(); // events in the gap are lost
      first = false;
      const startedAt = this.#options.now();
      let buffer = "";
      try {
        await this.#runner.run(eventLoopArgs(), {
          timeoutMs: 0,
          signal: abort.signal,
          onStdout: (chunk) => {
            this.#state = "listening";
            this.#options.libvirt.seen();
            buffer += chunk;
            const lines = buffer.split("\n");
            buffer = lines.pop() ?? "";
            for (const line of lines) this.handleLine(line);
          },
        });
      } catch (e) {
        // libvirtd went away (`client socket is closed`) or is not up yet: retry below.
        if (!this.#stopped) this.#options.libvirt.failed(e);
      }
      if (this.#stopped) break;
      this.#state = "reconnecting";
      delay = this.#options.now() - startedAt > 10_000 ? initial : Math.min(delay * 2, max);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
