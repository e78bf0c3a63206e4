/**
 * A host's runner behind its {@link HostHealth}: while the host is unreachable every call fails
 * at once with a sentence naming the host, the failure, since when and the next retry; calls
 * that find libvirt gone mark it unreachable, and a call past its deadline makes the health
 * probe the host. So one dead host costs the page nothing after the first failure.
 *
 * @module
 */
import { VirshError } from "../virsh/errors.ts";
import type { ClosableRunner } from "../virsh/pool.ts";
import type { RunOptions, VirshCallRecord, VirshOutput } from "../virsh/runner.ts";
import type { HostHealth } from "./health.ts";
import { formatUtc } from "../text/utc.ts";

/** The sentence a fast-failed call carries. Pure. */
export function unreachableSentence(
  name: string,
  uri: string,
  status: { lastError: string | null; since: string | null; nextRetryAt: string | null },
): string {
  const since = status.since ? ` since ${formatUtc(status.since)}` : "";
  const retry = status.nextRetryAt ? `; next retry at ${formatUtc(status.nextRetryAt)}` : "";
  return `Host ${name} (${uri}) is unreachable${since}: ${status.lastError ?? "no answer"}${retry}`;
}

/** See the module documentation. */
export class GuardedRunner implements ClosableRunner {
  readonly uri: string;
  readonly #inner: ClosableRunner;
  readonly #health: HostHealth;
  readonly #name: string;

  constructor(name: string, inner: ClosableRunner, health: HostHealth) {
    this.uri = inner.uri;
    this.#name = name;
    this.#inner = inner;
    this.#health = health;
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<VirshOutput> {
    if (this.#health.failingFast()) {
      throw new VirshError({
        argv: ["-c", this.uri, ...args],
        code: null,
        stderr: "",
        kind: "unreachable",
        message: unreachableSentence(this.#name, this.uri, this.#health.status()),
      });
    }
    try {
      const output = await this.#inner.run(args, options);
      this.#health.markSuccess();
      return output;
    } catch (e) {
      if (e instanceof VirshError) {
        if (e.kind === "unreachable") {
          this.#health.markFailure(e.libvirtMessage || e.message);
        } else if (e.kind === "timeout" && options.signal?.aborted !== true) {
          void this.#health.suspect();
        } else if (e.code !== null) {
          this.#health.markSuccess(); // libvirt answered, with a refusal
        }
      }
      throw e;
    }
  }

  onCall(listener: (record: VirshCallRecord) => void): () => void {
    return this.#inner.onCall(listener);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
