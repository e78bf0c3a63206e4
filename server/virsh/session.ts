/**
 * One long-lived interactive `virsh -c URI` process that runs commands one after another: a
 * command costs a line on stdin instead of a process start and a libvirt connection.
 *
 * @module
 */
import {
  exitCodeOf,
  framedInput,
  frameMarkers,
  takeStderr,
  takeStdout,
  withoutReconnectNotice,
} from "./frame.ts";
import { classifyLibvirtMessage, cleanLibvirtMessage, VirshError } from "./errors.ts";
import type { VirshOutput } from "./runner.ts";
import { killProcessGroup } from "../process_group.ts";

/** Options of {@link VirshSession}. */
export interface VirshSessionOptions {
  uri: string;
  /** Path or name of the virsh binary. */
  binary?: string;
}

interface Pending {
  seq: number;
  stdout: string | null;
  stderr: string | null;
  resolve: (output: { stdout: string; stderr: string }) => void;
  reject: (error: Error) => void;
}

/**
 * A virsh process fed on stdin. {@link run} is serial: the caller (the pool) sends one command at
 * a time. A deadline kills the whole process (its group: it runs under `setsid`), since a stuck
 * command cannot be cancelled on its own; the pool then starts a fresh one.
 */
export class VirshSession {
  readonly #uri: string;
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #token = crypto.randomUUID().replaceAll("-", "");
  #seq = 0;
  #stdoutBuffer = "";
  #stderrBuffer = "";
  #pending: Pending | null = null;
  #dead: Error | null = null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;

  constructor(options: VirshSessionOptions) {
    this.#uri = options.uri;
    this.#child = new Deno.Command("setsid", {
      args: [options.binary ?? "virsh", "-c", options.uri],
      env: { LC_ALL: "C", LANG: "C" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    const reading = Promise.all([
      this.#read(this.#child.stdout, (t) => {
        this.#stdoutBuffer += t;
      }),
      this.#read(this.#child.stderr, (t) => {
        this.#stderrBuffer += t;
      }),
    ]);
    this.exited = this.#child.status.then(async () => {
      await reading.catch(() => {});
      this.#die(new Error("virsh session ended"));
    });
  }

  /** Process id (tests look for it). */
  get pid(): number {
    return this.#child.pid;
  }

  /** True until the process died or was closed. */
  get alive(): boolean {
    return this.#dead === null;
  }

  /** True while a command runs. */
  get busy(): boolean {
    return this.#pending !== null;
  }

  /**
   * Runs one command (argv after `-c URI`) and resolves with what it printed and an exit code
   * derived from stderr. Rejects with a `timeout` {@link VirshError} after `timeoutMs`, killing
   * the process.
   */
  async run(args: readonly string[], timeoutMs: number): Promise<VirshOutput> {
    const argv = ["-c", this.#uri, ...args];
    if (this.#dead) throw new VirshError({ argv, code: null, stderr: "", kind: "failed" });
    if (this.#pending) throw new Error("VirshSession.run is serial: a command is still running");
    const seq = ++this.#seq;
    const markers = frameMarkers(this.#token, seq);
    const input = framedInput(args, markers);
    const answer = new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      this.#pending = { seq, stdout: null, stderr: null, resolve, reject };
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Settle as a timeout before the kill rejects the pending answer as a lost process.
        reject(new VirshError({ argv, code: null, stderr: "", kind: "timeout" }));
        this.close();
      }, timeoutMs);
    });
    try {
      await this.#writer.write(new TextEncoder().encode(input));
      this.#drain();
      const answered = await Promise.race([answer, deadline]);
      const stderr = withoutReconnectNotice(answered.stderr);
      const stdout = answered.stdout;
      const code = exitCodeOf(stderr);
      // A lost connection is not retried inside this process: a fresh one connects anew.
      if (code !== 0 && classifyLibvirtMessage(cleanLibvirtMessage(stderr)) === "unreachable") {
        this.close();
      }
      return { argv, stdout, stderr, code };
    } catch (e) {
      if (e instanceof VirshError) throw e;
      throw new VirshError({ argv, code: null, stderr: String(e), kind: "failed" });
    } finally {
      clearTimeout(timer);
      this.#pending = null;
    }
  }

  /** Kills the process (and anything it started). */
  close(): void {
    this.#die(new Error("virsh session closed"));
    killProcessGroup(this.#child);
  }

  #die(error: Error): void {
    if (this.#dead) return;
    this.#dead = error;
    this.#pending?.reject(error);
  }

  async #read(stream: ReadableStream<Uint8Array>, append: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      append(decoder.decode(bytes, { stream: true }));
      this.#drain();
    }
  }

  /** Completes the pending command once both of its markers have arrived. */
  #drain(): void {
    const p = this.#pending;
    if (!p) return;
    const markers = frameMarkers(this.#token, p.seq);
    if (p.stdout === null) {
      const taken = takeStdout(this.#stdoutBuffer, markers);
      if (taken) {
        p.stdout = taken.text;
        this.#stdoutBuffer = taken.rest;
      }
    }
    if (p.stderr === null) {
      const taken = takeStderr(this.#stderrBuffer, markers.stderr);
      if (taken) {
        p.stderr = taken.text;
        this.#stderrBuffer = taken.rest;
      }
    }
    if (p.stdout !== null && p.stderr !== null) p.resolve({ stdout: p.stdout, stderr: p.stderr });
  }
}
