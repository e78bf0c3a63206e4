/**
 * Typed errors of `qemu-img` calls, classified from its stderr.
 *
 * @module
 */

/** What kind of failure a qemu-img call ended in. */
export type QemuImgErrorKind =
  | "timeout" // killed after its deadline
  | "missing-binary" // qemu-img is not installed
  | "not-found" // the image does not exist
  | "locked" // a running QEMU holds the image open for writing
  | "wrong-format" // the file is not in the format it was read as
  | "invalid" // refused before running (no -f, a single argument)
  | "failed"; // anything else

/** A qemu-img call that did not succeed: argv, exit code, stderr and a sentence. */
export class QemuImgError extends Error {
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly stderr: string;
  readonly kind: QemuImgErrorKind;

  constructor(
    init: {
      argv: readonly string[];
      code: number | null;
      stderr: string;
      kind?: QemuImgErrorKind;
      message?: string;
    },
  ) {
    const kind = init.kind ?? classifyQemuImgStderr(init.stderr);
    const said = cleanQemuImgMessage(init.stderr);
    super(init.message ?? (said ? `qemu-img: ${said}` : `qemu-img failed (${kind})`));
    this.name = "QemuImgError";
    this.argv = init.argv;
    this.code = init.code;
    this.stderr = init.stderr;
    this.kind = kind;
  }

  /** HTTP status when it reaches a route: 503 when qemu-img is missing or hung, else 502. */
  get status(): number {
    return this.kind === "missing-binary" || this.kind === "timeout" ? 503 : 502;
  }
}

/** qemu-img's message on one line, without the `qemu-img: ` prefixes. Pure. */
export function cleanQemuImgMessage(stderr: string): string {
  return stderr.split("\n").map((l) => l.replace(/^qemu-img:\s*/, "").trim()).filter((l) => l)
    .join(" ");
}

/** Classifies qemu-img's stderr (captured: tests/fixtures/qemu-img/*.stderr). Pure. */
export function classifyQemuImgStderr(stderr: string): QemuImgErrorKind {
  if (/Failed to get (shared )?"?\w+"? lock/.test(stderr)) return "locked";
  if (/No such file or directory/.test(stderr)) return "not-found";
  if (/Image is not in \w+ format/.test(stderr)) return "wrong-format";
  return "failed";
}
