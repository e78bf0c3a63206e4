/** The sentence a copy into a new volume ends with once blockboard deleted the volume. Pure. */
import { assertEquals } from "@std/assert";
import { volumeRemovalOutcome } from "../../server/volumes/removal_outcome.ts";
import type { JobPhase } from "../../server/jobs/model.ts";

const SRC = "/var/lib/libvirt/images/vm/vda.qcow2";
const DEST = "/var/lib/libvirt/images/copies/full.raw";
const at = (phase: JobPhase) => ({ phase, source: SRC, dest: DEST });
const GONE = { pool: "copies", volume: "full.raw", error: null };
const KEPT = {
  pool: "copies",
  volume: "full.raw",
  error: "error: Failed to delete vol full.raw error: cannot unlink file '/x': Permission denied",
};

Deno.test("volumeRemovalOutcome: says the volume was deleted, or why not, per ending", () => {
  const cases: [JobPhase, typeof GONE | typeof KEPT, string | null][] = [
    [
      "canceled",
      GONE,
      `canceled before the copy was synchronized: blockboard deleted the volume copies/full.raw it had created for the copy; the domain stays on ${SRC}`,
    ],
    [
      "failed",
      GONE,
      `failed: libvirt reported the job as failed; blockboard deleted the volume copies/full.raw it had created for the copy; the domain stays on ${SRC}. See the domain's QEMU log (/var/log/libvirt/qemu/)`,
    ],
    [
      "interrupted",
      GONE,
      `interrupted: the domain stopped while the job ran; blockboard deleted the volume copies/full.raw it had created for the copy; the domain stays on ${SRC}`,
    ],
    [
      "canceled",
      KEPT,
      `canceled before the copy was synchronized: the volume copies/full.raw (${DEST}) is incomplete and not usable, and blockboard could not delete it: ${KEPT.error}; delete it with virsh vol-delete --pool copies --vol full.raw; the domain stays on ${SRC}`,
    ],
    ["kept-copy", GONE, null],
    ["pivoted", GONE, null],
    ["running", GONE, null],
  ];
  for (const [phase, removal, want] of cases) {
    assertEquals(volumeRemovalOutcome(at(phase), removal), want, `${phase} ${removal.error}`);
  }
  assertEquals(
    volumeRemovalOutcome({ phase: "canceled" }, GONE),
    "canceled before the copy was synchronized: blockboard deleted the volume copies/full.raw it had created for the copy; the domain stays on its previous image",
  );
});
