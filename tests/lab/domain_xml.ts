/**
 * Domain XML for lab guests: `type='qemu'` (software emulation), 64 MiB, one vCPU, no OS, virtio
 * disks. Pure: no I/O.
 *
 * @module
 */

/** The XML namespace of the lab's ownership record inside `<metadata>`. */
export const LAB_METADATA_URI = "urn:blockboard:lab";

/** Who made a lab domain and where its files live, so a later run can tell leftovers from live ones. */
export interface LabOwner {
  /** "test" (removed when its owner process is gone) or "demo" (kept). */
  role: "test" | "demo";
  /** The domain's own directory. */
  dir: string;
  /** The creating process. */
  pid: number;
  /** Its start time in clock ticks since boot (/proc/PID/stat field 22): pids get reused. */
  startTicks: number;
  /** /proc/sys/kernel/random/boot_id at creation. */
  bootId: string;
}

/** One disk of a lab domain, as the XML needs it. */
export interface DiskXmlSpec {
  target: string;
  format: "qcow2" | "raw";
  /** The top image (absolute path). */
  source: string;
}

/** Escapes text for XML character data and attribute values (both quote kinds). */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/** The complete `<domain>` document for a lab guest. */
export function labDomainXml(spec: {
  name: string;
  uuid: string;
  disks: DiskXmlSpec[];
  owner: LabOwner;
}): string {
  const e = escapeXml;
  const o = spec.owner;
  const disks = spec.disks.map((d) =>
    [
      `    <disk type='file' device='disk'>`,
      `      <driver name='qemu' type='${e(d.format)}'/>`,
      `      <source file='${e(d.source)}'/>`,
      `      <target dev='${e(d.target)}' bus='virtio'/>`,
      `    </disk>`,
    ].join("\n")
  );
  return [
    `<domain type='qemu'>`,
    `  <name>${e(spec.name)}</name>`,
    `  <uuid>${e(spec.uuid)}</uuid>`,
    `  <metadata>`,
    `    <bblab:owner xmlns:bblab='${LAB_METADATA_URI}' role='${e(o.role)}' dir='${e(o.dir)}'` +
    ` pid='${o.pid}' startTicks='${o.startTicks}' bootId='${e(o.bootId)}'/>`,
    `  </metadata>`,
    `  <memory unit='MiB'>64</memory>`,
    `  <vcpu>1</vcpu>`,
    `  <os><type arch='x86_64' machine='pc'>hvm</type></os>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    `    <emulator>/usr/bin/qemu-system-x86_64</emulator>`,
    ...disks,
    `  </devices>`,
    `</domain>`,
    ``,
  ].join("\n");
}

/**
 * Reads the ownership record back from `virsh metadata --uri LAB_METADATA_URI` output (or a
 * whole domain XML). Returns undefined when there is none or it is malformed.
 */
export function parseLabOwner(xml: string): LabOwner | undefined {
  const element = xml.match(/<(?:[A-Za-z0-9_]+:)?owner\b[^>]*>/)?.[0];
  if (!element) return undefined;
  const attr = (name: string): string | undefined => {
    const m = element.match(new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`));
    if (!m) return undefined;
    return unescapeXml(m[1] ?? m[2]);
  };
  const role = attr("role");
  const dir = attr("dir");
  const pid = Number(attr("pid"));
  const startTicks = Number(attr("startTicks"));
  const bootId = attr("bootId");
  if ((role !== "test" && role !== "demo") || !dir || !bootId) return undefined;
  if (!Number.isInteger(pid) || !Number.isInteger(startTicks)) return undefined;
  return { role, dir, pid, startTicks, bootId };
}

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_m, name, dec, hex) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[name];
  });
}
