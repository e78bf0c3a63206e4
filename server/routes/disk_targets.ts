/**
 * Which disk targets a domain has, remembered for a few seconds, so that a script polling
 * `GET …/disks/{target}/job` learns about a mistyped target (404) without every poll of a real
 * disk starting virsh.
 *
 * @module
 */
import type { VirshRunner } from "../virsh/runner.ts";
import { parseDomBlkList } from "../virsh/parse/domblklist.ts";
import { domBlkListArgs } from "../virsh/commands.ts";

/** Options of {@link DiskTargets}. */
export interface DiskTargetsOptions {
  /** How long a listing answers (ms); default 10 s, like a resolved name. */
  maxAgeMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A short-lived memory of `domblklist` per domain UUID. */
export class DiskTargets {
  readonly #runner: VirshRunner;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, { at: number; targets: Promise<Set<string>> }>();

  constructor(runner: VirshRunner, options: DiskTargetsOptions = {}) {
    this.#runner = runner;
    this.#maxAgeMs = options.maxAgeMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** True when the domain (a resolved UUID) has a disk `target`; at most one virsh call per max age. */
  async has(uuid: string, target: string): Promise<boolean> {
    const now = this.#now();
    let hit = this.#seen.get(uuid);
    if (!hit || now - hit.at >= this.#maxAgeMs) {
      const targets = this.#runner.run(domBlkListArgs(uuid))
        .then((out) => new Set(parseDomBlkList(out.stdout).map((d) => d.target)));
      hit = { at: now, targets };
      this.#seen.set(uuid, hit);
      // A failed listing is not remembered: the next poll asks again.
      targets.catch(() => {
        if (this.#seen.get(uuid) === hit) this.#seen.delete(uuid);
      });
      this.#prune(now);
    }
    return (await hit.targets).has(target);
  }

  /** Drops listings past their age so domains that come and go do not accumulate. */
  #prune(now: number): void {
    for (const [uuid, entry] of this.#seen) {
      if (now - entry.at >= this.#maxAgeMs) this.#seen.delete(uuid);
    }
  }
}
