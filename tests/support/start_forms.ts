/**
 * What the start-form tests render: a running persistent domain with one qcow2 disk of three
 * layers (as the inventory models it, no virsh), and the markup of one operation's form.
 *
 * @module
 */
import type { Disk, Domain } from "../../server/inventory/model.ts";
import { IMG, VM1 } from "../jobs/fixtures.ts";

/** `vda` of VM1: snap2 (index 3) over snap1 (4) over base (5), all qcow2 under {@link IMG}; no job. */
export function threeLayers(): { domain: Domain; disk: Disk } {
  const layer = (path: string, index: number) => ({
    index,
    path,
    format: "qcow2",
    capacity: 1,
    allocation: 1,
  });
  const disk = {
    target: "vda",
    device: "disk",
    type: "file",
    format: "qcow2",
    source: `${IMG}/snap2.qcow2`,
    chain: [
      layer(`${IMG}/snap2.qcow2`, 3),
      layer(`${IMG}/snap1.qcow2`, 4),
      layer(`${IMG}/base.qcow2`, 5),
    ],
    mirror: null,
    warnings: [],
    job: null,
  } as unknown as Disk;
  const domain = { ...VM1, state: "running", persistent: true, disks: [disk] } as unknown as Domain;
  return { domain, disk };
}

/** The `<form ...>` of operation `op` (its `data-op`) in rendered start forms, up to `</form>`. */
export function formHtml(html: string, op: string): string {
  const start = html.indexOf(`data-op="${op}"`);
  const open = html.lastIndexOf("<form", start);
  return html.slice(open, html.indexOf("</form>", start));
}
