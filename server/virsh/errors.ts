/**
 * Typed errors for virsh calls, and the mapping from libvirt's messages to sentences an operator
 * can act on.
 *
 * @module
 */

/** What kind of failure a virsh call ended in; routes map these to HTTP statuses. */
export type VirshErrorKind =
  | "timeout" // killed after its deadline: the outcome is unknown until re-checked
  | "unreachable" // libvirtd is not answering
  | "missing-binary" // virsh is not installed
  | "not-found" // unknown domain or disk
  | "not-running" // the domain is shut off
  | "busy" // the disk already has a block job
  | "no-job" // nothing to pivot/abort
  | "not-ready" // pivot before the mirror is ready
  | "exists" // copy destination already exists
  | "missing-file" // a file the operation needs is missing
  | "invalid" // libvirt rejected an argument
  | "lock" // state-change lock contention; worth a retry
  | "failed"; // anything else

/** A virsh call that did not succeed. Carries the exact argv, exit code and stderr. */
export class VirshError extends Error {
  /** The argv as run (without the binary name). */
  readonly argv: readonly string[];
  /** Exit code, or null when the process never ran or was killed. */
  readonly code: number | null;
  /** virsh's stderr, untouched. */
  readonly stderr: string;
  /** Classification of the failure. */
  readonly kind: VirshErrorKind;
  /** libvirt's own message, with the `error: ` prefixes removed. */
  readonly libvirtMessage: string;

  constructor(
    init: {
      argv: readonly string[];
      code: number | null;
      stderr: string;
      kind?: VirshErrorKind;
      message?: string;
    },
  ) {
    const libvirtMessage = cleanLibvirtMessage(init.stderr);
    const kind = init.kind ?? classifyLibvirtMessage(libvirtMessage);
    super(init.message ?? humanMessage(kind, libvirtMessage));
    this.name = "VirshError";
    this.argv = init.argv;
    this.code = init.code;
    this.stderr = init.stderr;
    this.kind = kind;
    this.libvirtMessage = libvirtMessage;
  }
}

/** Strips virsh's `error: ` prefixes and the generic "Failed to ..." first line. */
export function cleanLibvirtMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.replace(/^error:\s*/, "").trim()).filter((l) =>
    l !== ""
  );
  const specific = lines.filter((l) => !/^Failed to /.test(l));
  return (specific.length ? specific : lines).join(": ");
}

const PATTERNS: [RegExp, VirshErrorKind][] = [
  [
    /failed to connect to the hypervisor|Failed to connect socket|client socket is closed|no connection driver available|Cannot recv data|End of file while reading data/i,
    "unreachable",
  ],
  [/Domain not found|failed to get domain|no domain with matching/i, "not-found"],
  [
    /disk '[^']*' not found|No disk found whose source path or target is|invalid argument: disk .* not found/i,
    "not-found",
  ],
  [/domain is not running/i, "not-running"],
  [/already in active block job|domain has active block job/i, "busy"],
  [/does not have an active block job|No active block job|no block job is active/i, "no-job"],
  [/not ready for pivot yet/i, "not-ready"],
  [/already exists/i, "exists"],
  [/No such file or directory|missing destination file/i, "missing-file"],
  [/cannot acquire state change lock/i, "lock"],
  [
    /invalid argument|unsupported configuration|Requested operation is not valid|expected syntax|Scaled numeric value|Numeric value .* too large|unexpected data|command '.*' doesn't support option|unknown command|expects an absolute path|absolute path must be used/i,
    "invalid",
  ],
];

/** Classifies a cleaned libvirt message. Pure. */
export function classifyLibvirtMessage(message: string): VirshErrorKind {
  for (const [re, kind] of PATTERNS) if (re.test(message)) return kind;
  return "failed";
}

/** A sentence an operator can act on, with libvirt's own words kept at the end. */
function humanMessage(kind: VirshErrorKind, libvirtMessage: string): string {
  const said = libvirtMessage ? ` (libvirt said: ${libvirtMessage})` : "";
  switch (kind) {
    case "timeout":
      return `virsh did not answer in time and was stopped; the outcome is unknown until the state is re-read${said}`;
    case "unreachable":
      return `libvirt is not answering. Start it (as root: virtlogd -d && libvirtd -d) or check the connection URI${said}`;
    case "missing-binary":
      return "virsh is not installed on this host (apt-get install libvirt-clients)";
    case "not-found":
      return `No such domain or disk${said}`;
    case "not-running":
      return `The domain is not running; block jobs need a running domain${said}`;
    case "busy":
      return `This disk already has a block job; finish or abort it first${said}`;
    case "no-job":
      return `There is no block job on this disk${said}`;
    case "not-ready":
      return `The job is not ready yet: wait until it reaches the mirroring phase${said}`;
    case "exists":
      return `The destination already exists; choose a new file name or use reuse-external${said}`;
    case "missing-file":
      return `A file the operation needs does not exist${said}`;
    case "lock":
      return `libvirt is busy with another change to this domain; try again in a moment${said}`;
    case "invalid":
      return `libvirt refused the request${said}`;
    default:
      return `virsh failed${said}`;
  }
}
