/**
 * Reconciling the {@link JobBook} with what a resync read of one running domain: its live XML
 * and `blockjob --info` per disk. Jobs the book does not follow are adopted, those it follows get
 * the sample (and ready, from `<mirror ready='yes'>`), a different job on a disk ends the old one
 * as `unknown`, and jobs libvirt no longer lists (or whose disk left the XML) are decided from
 * the XML. Pure: only the book's transitions.
 *
 * @module
 */
import type { BlockJobInfo } from "../virsh/parse/blockjob.ts";
import type { DomainXml, XmlDisk } from "../virsh/parse/domxml.ts";
import { isActivePhase } from "./model.ts";
import type { JobBook } from "./book.ts";

/** One disk's `blockjob --info` as a resync read it (null: no job). */
export interface SampledDisk {
  target: string;
  info: BlockJobInfo | null;
}

/** What a resync read of one running domain. */
export interface DomainRead {
  uuid: string;
  xml: DomainXml;
  infos: readonly SampledDisk[];
}

/** Reconciles the book with one running domain's XML and samples; see the module doc. */
export function reconcileDomain(book: JobBook, { uuid, xml, infos }: DomainRead): void {
  book.names.remember(uuid, xml.name);
  const before = book.active(uuid);
  for (const { target, info } of infos) {
    const disk = xml.disks.find((d) => d.target === target);
    if (disk) reconcileDisk(book, { uuid, domain: xml.name, disk }, info);
  }
  for (const job of before) {
    if (!xml.disks.some((d) => d.target === job.target)) book.decideFromXml(job, null);
  }
}

function reconcileDisk(
  book: JobBook,
  found: { uuid: string; domain: string; disk: XmlDisk },
  info: BlockJobInfo | null,
): void {
  const ref = { uuid: found.uuid, target: found.disk.target };
  const known = book.peek(ref);
  if (known?.starting) return; // an operation is starting it and reports it itself
  const active = known !== null && isActivePhase(known.phase);
  if (!info) {
    if (active) book.decideFromXml(known, found.disk);
    return;
  }
  if (active && (known.type === info.type || known.type === "unknown")) {
    book.applySample(known, info);
    if (found.disk.mirror?.ready === "yes") book.markReady(known);
    return;
  }
  if (active) book.finish(known, "unknown", "a different job now runs on this disk");
  book.adopt({ ...found, info });
}
