/**
 * The one scripted {@link VirshRunner} of the test suite. Route tests use it to prove that *no*
 * virsh process ran; unit tests use it for states that real virsh cannot be made to show on
 * demand (libvirt down, a hung call, a race). Every feature is also tested against the real lab.
 *
 * @module
 */
import type {
  RunOptions,
  VirshCallRecord,
  VirshOutput,
  VirshRunner,
} from "../../server/virsh/runner.ts";
import { VirshError, type VirshErrorKind } from "../../server/virsh/errors.ts";

/**
 * What a scripted call answers: stdout (exit 0); a full output; libvirt's message (`error`, exit
 * 1, classified the way real stderr is); or a failure of a given kind (`fail`).
 */
export type FakeAnswer =
  | string
  | { stdout?: string; stderr?: string; code?: number }
  | { error: string }
  | { fail: VirshErrorKind; stderr?: string };

/** Maps a call to its answer; may wait (a streaming command until aborted). */
export type FakeScript = (
  args: readonly string[],
  options: RunOptions,
) => FakeAnswer | Promise<FakeAnswer>;

/** A runner that answers from a script, records every call and feeds `onCall` like the real one. */
export class FakeRunner implements VirshRunner {
  readonly uri: string;
  /** Every argv it was asked to run (without `-c URI`), in order. */
  readonly calls: string[][] = [];
  /** The options of each call, aligned with {@link calls}. */
  readonly options: RunOptions[] = [];
  script: FakeScript;
  readonly #listeners = new Set<(record: VirshCallRecord) => void>();

  constructor(script: FakeScript = () => "", uri = "qemu:///fake") {
    this.script = script;
    this.uri = uri;
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<VirshOutput> {
    const argv = ["-c", this.uri, ...args];
    this.calls.push([...args]);
    this.options.push(options);
    const startedAt = new Date();
    const answer = await this.script(args, options);
    let out: VirshOutput;
    let error: VirshError | undefined;
    if (typeof answer === "string") {
      out = { argv, stdout: answer, stderr: "", code: 0 };
    } else if ("fail" in answer) {
      out = { argv, stdout: "", stderr: answer.stderr ?? "", code: 1 };
      error = new VirshError({ argv, code: 1, stderr: out.stderr, kind: answer.fail });
    } else if ("error" in answer) {
      out = { argv, stdout: "", stderr: `error: ${answer.error}\n`, code: 1 };
    } else {
      out = {
        argv,
        stdout: answer.stdout ?? "",
        stderr: answer.stderr ?? "",
        code: answer.code ?? 0,
      };
    }
    if (!error && out.code !== 0 && !options.allowFailure) {
      error = new VirshError({ argv, code: out.code, stderr: out.stderr });
    }
    this.emit({ ...out, startedAt, durationMs: 1, error, origin: options.origin });
    if (error) throw error;
    return out;
  }

  onCall(listener: (record: VirshCallRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Feeds a record to the listeners, as if some other part of the app had run virsh. */
  emit(record: VirshCallRecord): void {
    for (const l of this.#listeners) l(record);
  }

  /** How many calls began with `words`. */
  count(...words: string[]): number {
    return this.calls.filter((c) => words.every((w, i) => c[i] === w)).length;
  }
}
