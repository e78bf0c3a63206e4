/**
 * A scripted {@link VirshRunner} for route tests that must prove *no* virsh process ran, and for
 * failures that cannot be provoked for real (libvirt down, a hung call). Every feature is also
 * tested against the real lab.
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

/** Answers one call: output, or an error kind with stderr. */
export type Script = (args: readonly string[]) =>
  | { stdout?: string; stderr?: string; code?: number }
  | { fail: VirshErrorKind; stderr?: string };

/** A runner that answers from a script and records every call. */
export class FakeRunner implements VirshRunner {
  readonly uri = "qemu:///fake";
  /** Every argv it was asked to run. */
  readonly calls: string[][] = [];
  script: Script;

  constructor(script: Script = () => ({ stdout: "" })) {
    this.script = script;
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<VirshOutput> {
    const argv = ["-c", this.uri, ...args];
    this.calls.push([...args]);
    const answer = this.script(args);
    if ("fail" in answer) {
      return Promise.reject(
        new VirshError({ argv, code: 1, stderr: answer.stderr ?? "", kind: answer.fail }),
      );
    }
    const out = {
      argv,
      stdout: answer.stdout ?? "",
      stderr: answer.stderr ?? "",
      code: answer.code ?? 0,
    };
    if (out.code !== 0 && !options.allowFailure) {
      return Promise.reject(new VirshError({ argv, code: out.code, stderr: out.stderr }));
    }
    return Promise.resolve(out);
  }

  onCall(_listener: (record: VirshCallRecord) => void): () => void {
    return () => {};
  }
}
