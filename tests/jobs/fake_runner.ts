/**
 * A scripted {@link VirshRunner} for unit tests: a handler maps argv to stdout (or throws a
 * VirshError built from a libvirt message), and every call is recorded.
 *
 * @module
 */
import { VirshError } from "../../server/virsh/errors.ts";
import type {
  RunOptions,
  VirshCallRecord,
  VirshOutput,
  VirshRunner,
} from "../../server/virsh/runner.ts";

/** What the handler returns: stdout, or `{ error: stderr }` for a failing call. */
export type FakeReply = string | { error: string };

/** A runner whose answers come from `handler`. */
export class FakeRunner implements VirshRunner {
  readonly uri = "qemu:///system";
  /** Every argv run, in order. */
  readonly calls: string[][] = [];
  handler: (args: readonly string[]) => FakeReply;

  constructor(handler: (args: readonly string[]) => FakeReply) {
    this.handler = handler;
  }

  run(args: readonly string[], _options?: RunOptions): Promise<VirshOutput> {
    this.calls.push([...args]);
    const reply = this.handler(args);
    const argv = ["-c", this.uri, ...args];
    if (typeof reply === "string") {
      return Promise.resolve({ argv, stdout: reply, stderr: "", code: 0 });
    }
    return Promise.reject(new VirshError({ argv, code: 1, stderr: `error: ${reply.error}\n` }));
  }

  onCall(_listener: (record: VirshCallRecord) => void): () => void {
    return () => {};
  }

  /** Calls whose argv starts with `words`. */
  count(...words: string[]): number {
    return this.calls.filter((c) => words.every((w, i) => c[i] === w)).length;
  }
}

/** `blockjob --info --raw --bytes` output. */
export function rawInfo(type: string, cur: number, end: number, bandwidth = 0): string {
  return ` type=${type}\n bandwidth=${bandwidth}\n cur=${cur}\n end=${end}\n\n`;
}

/** `blockjob --info --raw --bytes` output when there is no job. */
export const NO_JOB = "\n";

/** A fixture file's text. */
export function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/virsh/${name}`, import.meta.url));
}

/** The fixtures' domain. */
export const VM1 = { uuid: "704cf090-1533-475a-a0f6-1f81adb2fb5c", name: "bbfix-vm1" };
/** Paths of the fixtures' vda chain. */
export const IMG = "/var/lib/libvirt/images/bbfix";
