/**
 * The rewritten argv against the real virsh 9.0 option parser: a throwaway shut-off domain named
 * `--pivot-bbterm-lab` (defined and undefined here) is reached by every hostile-name form, and
 * every operator command's argv is parsed by virsh up to libvirt's "domain is not running".
 * Skipped when qemu:///system does not answer.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { parseTerminalLine, type TerminalRole } from "../../server/terminal/mod.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";

const URI = "qemu:///system";
const DOMAIN = "--pivot-bbterm-lab";

async function virsh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("virsh", {
    args: ["-c", URI, ...args],
    env: { LC_ALL: "C" },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function labAvailable(): Promise<boolean> {
  try {
    return (await virsh("uri")).code === 0;
  } catch {
    return false;
  }
}

const DOMAIN_XML = (disk: string) =>
  `<domain type='qemu'>
  <name>${DOMAIN}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
`;

Deno.test({
  name: "lab: rewritten terminal argv reaches a domain named --pivot-bbterm-lab through virsh",
  ignore: !(await labAvailable()),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "bbterm-lab-" });
    const disk = `${dir}/base.qcow2`;
    const mk = await new Deno.Command("qemu-img", {
      args: ["create", "-f", "qcow2", disk, "16M"],
      stdout: "null",
    }).output();
    assert(mk.success, "qemu-img create");
    await Deno.writeTextFile(`${dir}/dom.xml`, DOMAIN_XML(disk));
    await virsh("undefine", "--domain", DOMAIN); // a leftover from an interrupted run
    const defined = await virsh("define", "--file", `${dir}/dom.xml`);
    assertEquals(defined.code, 0, defined.stderr);
    const runner = new SpawnRunner({ uri: URI, timeoutMs: 20_000 });
    const run = (line: string, role: TerminalRole = "operator") =>
      runner.run(parseTerminalLine(line, role).argv, { allowFailure: true });
    try {
      await t.step("control: the raw bare form is read by virsh as an option", async () => {
        const raw = await runner.run(["dominfo", DOMAIN], { allowFailure: true });
        assertEquals(raw.code, 1);
        assertStringIncludes(raw.stderr, `doesn't support option ${DOMAIN}`);
      });

      for (
        const line of [
          `dominfo --domain=${DOMAIN}`,
          `dominfo --domain ${DOMAIN}`,
          `virsh dominfo -- ${DOMAIN}`,
          `dominfo '--domain=${DOMAIN}'`,
        ]
      ) {
        await t.step(`viewer: ${line}`, async () => {
          const out = await run(line, "viewer");
          assertEquals(out.code, 0, out.stderr);
          assertStringIncludes(out.stdout, `Name:           ${DOMAIN}\n`);
        });
      }

      await t.step("viewer: domblklist shows the real source path", async () => {
        const out = await run(`domblklist --details -- ${DOMAIN}`, "viewer");
        assertEquals(out.code, 0, out.stderr);
        assertStringIncludes(out.stdout, disk);
      });

      await t.step("viewer: domstats with the name twice reports it twice", async () => {
        const out = await run(`domstats --state -- ${DOMAIN} ${DOMAIN}`, "viewer");
        assertEquals(out.code, 0, out.stderr);
        assertEquals(out.stdout.split(`Domain: '${DOMAIN}'`).length - 1, 2);
      });

      await t.step("viewer: snapshot-list and blockjob --info reach the domain", async () => {
        const list = await run(`snapshot-list --domain=${DOMAIN} --name`, "viewer");
        assertEquals(list.code, 0, list.stderr);
        const info = await run(`blockjob --domain ${DOMAIN} vda --info --raw --bytes`, "viewer");
        assertStringIncludes(info.stderr, "domain is not running");
      });

      // Each argv gets through virsh's parser and libvirt's domain lookup; libvirt then stops
      // at the shut-off domain (blockcommit first finds no base below a one-image chain), so
      // nothing is created or changed.
      for (
        const line of [
          `blockcopy --format qcow2 --transient-job --wait --verbose --bandwidth 1048576 --bytes -- ${DOMAIN} vda ${dir}/copy.qcow2`,
          `blockcopy --domain=${DOMAIN} --path vda --dest ${dir}/copy.raw --raw --shallow --pivot`,
          `blockpull --domain ${DOMAIN} vda --wait --verbose --bandwidth 1`,
          `blockcommit --domain ${DOMAIN} vda --active --pivot --verbose`,
          `blockjob --domain ${DOMAIN} vda --pivot`,
          `blockjob --domain ${DOMAIN} vda --abort --async`,
          `blockjob --domain ${DOMAIN} vda --bandwidth 1048576 --bytes`,
        ]
      ) {
        await t.step(`operator: ${line.split(" ")[0]} argv parsed by virsh`, async () => {
          const out = await run(line);
          assertEquals(out.code, 1);
          assertMatch(
            out.stderr,
            /^error: (Requested operation is not valid: domain is not running|invalid argument: could not find base image in chain for 'vda')\n$/,
          );
        });
      }
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["base.qcow2", "dom.xml"]);
    } finally {
      const gone = await virsh("undefine", "--domain", DOMAIN);
      await Deno.remove(dir, { recursive: true });
      assertEquals(gone.code, 0, gone.stderr);
    }
  },
});
