/**
 * Streaming terminal commands (`blockcopy ... --wait --verbose`): each runs server-side in a
 * session with an id, its output buffered as messages so that the page's SSE connection (opened
 * after the POST answered, or reopened after a drop) replays what it missed, and a Stop that
 * aborts it.
 *
 * @module
 */

/** One message of a stream, in the order the browser renders them. */
export type StreamMessage =
  /** A finished line of output (`info`: blockboard's own note, e.g. the abort after Stop). */
  | { type: "line"; stream: "stdout" | "stderr" | "info"; text: string }
  /** The line being redrawn (`\r` progress): replaces the previous progress of that stream. */
  | { type: "progress"; stream: "stdout" | "stderr"; text: string }
  /** The end: exit code (null when killed or never run), whether Stop ended it, a summary. */
  | { type: "exit"; code: number | null; stopped: boolean; message: string };

/** A message with its sequence number (the SSE `id`). */
export interface NumberedMessage {
  seq: number;
  message: StreamMessage;
}

/** How many messages a session keeps for replay (older ones are dropped, progress folds). */
export const SESSION_BUFFER = 2000;
/** Longest text of one message; virsh output lines beyond it are cut (memory per session). */
export const MESSAGE_TEXT_MAX = 4096;
/** Finished sessions kept for late pages, at most (the oldest go first). */
export const DONE_SESSIONS_KEPT = 64;

/** One streaming command. */
export class StreamSession {
  /** Random id used in the stream and stop URLs. */
  readonly id: string = crypto.randomUUID();
  readonly startedAt = Date.now();
  /** Aborting it kills the virsh process group. */
  readonly controller = new AbortController();
  /** Set when Stop was pressed. */
  stopRequested = false;
  /** Milliseconds since the epoch when the exit message was published. */
  endedAt: number | null = null;
  #messages: NumberedMessage[] = [];
  #seq = 0;
  #listeners = new Set<(m: NumberedMessage) => void>();

  constructor(
    /** Who started it: only they may watch or stop it. */
    readonly user: string,
    /** `virsh -c URI ...` as run. */
    readonly commandLine: string,
  ) {}

  /** Whether the exit message was published. */
  get done(): boolean {
    return this.endedAt !== null;
  }

  /** Appends a message and tells the listeners. A progress right after a progress of the same stream replaces it in the buffer. */
  publish(message: StreamMessage): void {
    if (this.done) return;
    if ("text" in message && message.text.length > MESSAGE_TEXT_MAX) {
      message = { ...message, text: `${message.text.slice(0, MESSAGE_TEXT_MAX)}…` };
    }
    const numbered = { seq: ++this.#seq, message };
    const last = this.#messages.at(-1)?.message;
    if (
      message.type === "progress" && last?.type === "progress" && last.stream === message.stream
    ) {
      this.#messages[this.#messages.length - 1] = numbered;
    } else {
      this.#messages.push(numbered);
      if (this.#messages.length > SESSION_BUFFER) this.#messages.shift();
    }
    if (message.type === "exit") this.endedAt = Date.now();
    for (const l of this.#listeners) {
      try {
        l(numbered);
      } catch { /* a broken connection must not stop the command */ }
    }
  }

  /** Buffered messages after `seq`. */
  since(seq: number): NumberedMessage[] {
    return this.#messages.filter((m) => m.seq > seq);
  }

  /** Live messages from now on; returns an unsubscribe. */
  subscribe(listener: (m: NumberedMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks the process to end (Stop, Ctrl-C). */
  stop(): void {
    if (this.done) return;
    this.stopRequested = true;
    this.controller.abort();
  }
}

/** Limits of a {@link SessionRegistry}. */
export interface SessionLimits {
  /** Running streams per user (default 2). */
  perUser?: number;
  /** Running streams in all (default 8). */
  total?: number;
  /** How long a finished session stays for a late or reconnecting page (default 5 min). */
  keepDoneMs?: number;
}

/** Too many streams are running. */
export class TooManyStreams extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TooManyStreams";
  }
}

/**
 * The running and recently finished streams. One registry serves the panel and the JSON API
 * (see {@link registryOf}), so the per-user and total caps hold whichever way a line arrives.
 */
export class SessionRegistry {
  #sessions = new Map<string, StreamSession>();
  readonly #perUser: number;
  readonly #total: number;
  readonly #keepDoneMs: number;

  constructor(limits: SessionLimits = {}) {
    this.#perUser = limits.perUser ?? 2;
    this.#total = limits.total ?? 8;
    this.#keepDoneMs = limits.keepDoneMs ?? 5 * 60_000;
  }

  /**
   * Registers a new session for `user`.
   * @throws {TooManyStreams} when the user or the server already runs the maximum.
   */
  create(user: string, commandLine: string): StreamSession {
    this.#sweep();
    const running = [...this.#sessions.values()].filter((s) => !s.done);
    if (running.filter((s) => s.user === user).length >= this.#perUser) {
      throw new TooManyStreams(
        `you already run ${this.#perUser} streaming commands: stop one first`,
      );
    }
    if (running.length >= this.#total) {
      throw new TooManyStreams(`the server already runs ${this.#total} streaming commands`);
    }
    const session = new StreamSession(user, commandLine);
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The session with this id, if it exists and has not expired. */
  get(id: string): StreamSession | undefined {
    this.#sweep();
    return this.#sessions.get(id);
  }

  /** Sessions still running (for shutdown and tests). */
  running(): StreamSession[] {
    return [...this.#sessions.values()].filter((s) => !s.done);
  }

  #sweep(): void {
    const now = Date.now();
    const done: [string, StreamSession][] = [];
    for (const [id, s] of this.#sessions) {
      if (s.endedAt === null) continue;
      if (now - s.endedAt > this.#keepDoneMs) this.#sessions.delete(id);
      else done.push([id, s]);
    }
    // Many short streams in a row must not pile up buffers for the whole keep period.
    done.sort((a, b) => a[1].endedAt! - b[1].endedAt!);
    for (const [id] of done.slice(0, Math.max(0, done.length - DONE_SESSIONS_KEPT))) {
      this.#sessions.delete(id);
    }
  }

  /** Sessions held in memory, running or finished (tests). */
  get size(): number {
    return this.#sessions.size;
  }
}
