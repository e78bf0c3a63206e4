/** The copy form's default destination: per domain, disk and minute, never an existing file. */
import { assertEquals, assertNotEquals, assertStringIncludes } from "@std/assert";
import {
  copyDestLookup,
  copyDestName,
  copyDirectory,
  fileNamePart,
  minuteStamp,
  suggestCopyDest,
} from "../../server/routes/copy_dest.ts";
import type { Disk, Domain } from "../../server/inventory/model.ts";
import { StartJobForms } from "../../views/job_forms.tsx";

const NOW = new Date(2026, 0, 2, 3, 4, 59); // local time, like the names

function disk(path: string, format = "qcow2", target = "vda"): Disk {
  return {
    target,
    device: "disk",
    type: "file",
    format,
    source: path,
    chain: [{ index: 1, path, format, capacity: 1, allocation: 1 }],
    mirror: null,
    warnings: [],
    job: null,
  } as unknown as Disk;
}
function domain(name: string, uuid: string, disks: Disk[]): Domain {
  return { name, uuid, state: "running", persistent: true, disks } as unknown as Domain;
}

Deno.test("fileNamePart: safe characters only, never a leading dash or dot, bounded", () => {
  const table: [string, string][] = [
    ["web", "web"],
    ["web-01.prod", "web-01.prod"],
    ["--pivot", "pivot"],
    [".hidden", "hidden"],
    ["it's", "it_s"],
    ["a/b", "a_b"],
    ["<img src=x onerror=alert(1)>", "img_src_x_onerror_alert_1"],
    ["a\u202Eb", "a_b"],
    ["café", "cafe"],
    ["日本", "vm"],
    ["---", "vm"],
    ["x".repeat(100), "x".repeat(64)],
  ];
  for (const [input, want] of table) assertEquals(fileNamePart(input, "vm"), want, input);
});

Deno.test("minuteStamp: yyyymmdd-hhmm, zero-padded, at the edges of the year and day", () => {
  assertEquals(minuteStamp(NOW), "20260102-0304");
  assertEquals(minuteStamp(new Date(2026, 11, 31, 23, 59, 59)), "20261231-2359");
  assertEquals(minuteStamp(new Date(2027, 0, 1, 0, 0, 0)), "20270101-0000");
});

Deno.test("copyDirectory: the active layer's directory when it is in a root, else the first root", () => {
  const table: [string, string[], string][] = [
    ["/var/lib/libvirt/images/a.qcow2", ["/var/lib/libvirt/images"], "/var/lib/libvirt/images"],
    [
      "/var/lib/libvirt/images/vm/a.qcow2",
      ["/var/lib/libvirt/images"],
      "/var/lib/libvirt/images/vm",
    ],
    ["/srv/other/a.qcow2", ["/var/lib/libvirt/images", "/data"], "/var/lib/libvirt/images"],
    [
      "/var/lib/libvirt/images-evil/a.qcow2",
      ["/var/lib/libvirt/images"],
      "/var/lib/libvirt/images",
    ],
    ["/srv/a.qcow2", [], "/srv"],
    ["/a.qcow2", [], "/"],
  ];
  for (const [path, roots, want] of table) assertEquals(copyDirectory(path, roots), want, path);
});

Deno.test("copyDestName: domain, disk, minute and format; suffix before the extension", () => {
  const roots = ["/img"];
  assertEquals(
    copyDestName(domain("web", "u1", []), disk("/img/web.qcow2"), roots, NOW),
    "/img/web-vda-copy-20260102-0304.qcow2",
  );
  assertEquals(
    copyDestName(domain("db", "u2", []), disk("/img/db.raw", "raw", "vdb"), roots, NOW, 3),
    "/img/db-vdb-copy-20260102-0304-3.raw",
  );
  assertEquals(
    copyDestName(domain("--pivot", "u3", []), disk("/img/x.qcow2"), roots, NOW),
    "/img/pivot-vda-copy-20260102-0304.qcow2",
  );
  assertEquals(
    copyDestName(domain("root", "u4", []), disk("/a.qcow2"), [], NOW),
    "/root-vda-copy-20260102-0304.qcow2",
  );
});

Deno.test("suggestCopyDest: never an existing file, link or directory (real files)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-copydest-" });
  try {
    const dom = domain("web", "u1", []);
    const vda = disk(`${dir}/web.qcow2`);
    const first = await suggestCopyDest(dom, vda, [dir], { now: NOW });
    assertEquals(first, `${dir}/web-vda-copy-20260102-0304.qcow2`);
    await Deno.writeTextFile(first, "");
    await Deno.mkdir(`${dir}/web-vda-copy-20260102-0304-2.qcow2`);
    await Deno.symlink("/nonexistent", `${dir}/web-vda-copy-20260102-0304-3.qcow2`);
    assertEquals(
      await suggestCopyDest(dom, vda, [dir], { now: NOW }),
      `${dir}/web-vda-copy-20260102-0304-4.qcow2`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copyDestLookup: two VMs with the same image layout are offered different paths", async () => {
  const a = domain("web", "u1", [disk("/img/disk.qcow2")]);
  const b = domain("db", "u2", [disk("/img/disk.qcow2")]);
  const probed: string[] = [];
  const lookup = await copyDestLookup([a, b], ["/img"], {
    now: NOW,
    taken: (p) => (probed.push(p), Promise.resolve(false)),
  });
  const da = lookup(a, a.disks[0])!;
  const db = lookup(b, b.disks[0])!;
  assertNotEquals(da, db);
  assertEquals(probed.sort(), [da, db].sort());
  // Stopped domains have no form: nothing probed for them.
  const off = { ...b, uuid: "u3", state: "shut off" } as Domain;
  assertEquals((await copyDestLookup([off], ["/img"], { now: NOW }))(off, off.disks[0]), undefined);
});

Deno.test("the copy form offers the suggested destination, escaped", () => {
  const d = domain("web", "u1", [disk("/img/web.qcow2")]);
  const html = String(
    <StartJobForms domain={d} disk={d.disks[0]} copyDest={`/img/a"b<c.qcow2`} />,
  );
  assertStringIncludes(html, 'value="/img/a&quot;b&lt;c.qcow2"');
  const fallback = String(<StartJobForms domain={d} disk={d.disks[0]} now={NOW} />);
  assertStringIncludes(fallback, 'value="/img/web-vda-copy-20260102-0304.qcow2"');
});
