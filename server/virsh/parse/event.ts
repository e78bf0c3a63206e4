/**
 * Parser for `virsh event --all --loop [--timestamp]` lines.
 *
 * @module
 */

/** Block job statuses libvirt reports in events. */
export type BlockJobEventStatus = "completed" | "failed" | "canceled" | "ready";

/** A parsed event line. */
export type VirshEvent =
  | {
    kind: "block-job";
    /** `block-job-2` (keyed by disk target) or `block-job` (keyed by disk path). */
    event: "block-job-2" | "block-job";
    domain: string;
    /** e.g. `Block Copy`, `Active Block Commit`. */
    jobTypeName: string;
    /** Disk target for `block-job-2`, path for `block-job`. */
    disk: string;
    status: BlockJobEventStatus;
    /** From `--timestamp`, else null. */
    timestamp: Date | null;
  }
  | {
    kind: "lifecycle";
    domain: string;
    /** e.g. `Stopped`, `Started`, `Undefined`. */
    event: string;
    /** e.g. `Destroyed`, `Booted`. */
    detail: string;
    timestamp: Date | null;
  }
  | {
    kind: "other";
    /** The event name between the first quotes. */
    event: string;
    domain: string | null;
    text: string;
    timestamp: Date | null;
  };

/** `2026-11-25 19:51:42.437+0000: ` as printed by `--timestamp` (always UTC in practice). */
const TIMESTAMP_RE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{3})([+-]\d{2})(\d{2}): /;
/** `event 'NAME' ` — event names never contain quotes. */
const EVENT_RE = /^event '([^']*)' /;
const FOR_DOMAIN = "for domain '";
/** `Block Copy for vda ready`: the type name never contains ` for `, a path may. */
const BLOCK_JOB_TEXT_RE = /^(.+?) for (.+) (completed|failed|canceled|ready)$/;

/** Parses the `--timestamp` prefix to a Date. Pure. */
export function parseEventTimestamp(prefix: string): Date | null {
  const m = TIMESTAMP_RE.exec(prefix);
  if (!m) return null;
  const date = new Date(`${m[1]}T${m[2]}${m[3]}:${m[4]}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Splits `NAME': TEXT` (or `NAME'` for events without text) into name and text. The name may
 * itself contain `'` or `': `: a known name that fits wins (longest first), otherwise the split is
 * at the first `': ` (or the final `'` when there is no text).
 */
function splitDomain(
  rest: string,
  knownNames?: readonly string[],
): { domain: string; text: string } | null {
  if (knownNames) {
    let best: { domain: string; text: string } | null = null;
    for (const name of knownNames) {
      if (best && name.length <= best.domain.length) continue;
      if (rest.startsWith(`${name}': `)) best = { domain: name, text: rest.slice(name.length + 3) };
      else if (rest === `${name}'`) best = { domain: name, text: "" };
    }
    if (best) return best;
  }
  const sep = rest.indexOf("': ");
  if (sep >= 0) return { domain: rest.slice(0, sep), text: rest.slice(sep + 3) };
  if (rest.endsWith("'")) return { domain: rest.slice(0, -1), text: "" };
  return null;
}

/**
 * Parses one line of `virsh event` output. `knownNames` (from `virsh list`) resolves domain names
 * that contain quotes. Returns null for lines that are not events (`events received: N`, blank,
 * the tab-indented parameter lines of a `tunable` event). Pure.
 *
 * Lines look like `[TIMESTAMP: ]event 'EVENT' for domain 'NAME'[: TEXT]`. Block job text is
 * `TYPE for DISK STATUS`; lifecycle text is `Event Detail words` (e.g. `Shutdown Finished after
 * host request`). A block job line with a status virsh did not know (`unknown`) is kind `other`.
 */
export function parseEventLine(line: string, knownNames?: readonly string[]): VirshEvent | null {
  let rest = line.replace(/\r?\n$/, "");
  const ts = TIMESTAMP_RE.exec(rest);
  const timestamp = ts ? parseEventTimestamp(ts[0]) : null;
  if (ts) rest = rest.slice(ts[0].length);
  const ev = EVENT_RE.exec(rest);
  if (!ev) return null;
  const event = ev[1];
  rest = rest.slice(ev[0].length);
  if (!rest.startsWith(FOR_DOMAIN)) {
    return { kind: "other", event, domain: null, text: rest, timestamp };
  }
  const split = splitDomain(rest.slice(FOR_DOMAIN.length), knownNames);
  if (!split) return { kind: "other", event, domain: null, text: rest, timestamp };
  const { domain, text } = split;
  if (event === "block-job" || event === "block-job-2") {
    const m = BLOCK_JOB_TEXT_RE.exec(text);
    if (m) {
      return {
        kind: "block-job",
        event,
        domain,
        jobTypeName: m[1],
        disk: m[2],
        status: m[3] as BlockJobEventStatus,
        timestamp,
      };
    }
  } else if (event === "lifecycle") {
    const space = text.indexOf(" ");
    return {
      kind: "lifecycle",
      domain,
      event: space < 0 ? text : text.slice(0, space),
      detail: space < 0 ? "" : text.slice(space + 1),
      timestamp,
    };
  }
  return { kind: "other", event, domain, text, timestamp };
}
