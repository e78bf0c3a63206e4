/**
 * Many domains without any VM: a node file for libvirt's test driver
 * (`virsh -c test:///ABS/PATH/node.xml`), written into a temporary directory. Names are
 * `vm-1` … `vm-N` in shuffled order; every 5th domain is paused, every 7th shut off; each has a
 * two-layer qcow2 chain on `vda` and every 3rd a raw `vdb`. Used by the 500-domain dashboard test
 * and `deno task bench:dashboard`.
 *
 * @module
 */

/** A written node file; dispose to remove it. */
export interface TestNode extends AsyncDisposable {
  /** `test:///…/node.xml` */
  uri: string;
  /** Domain names, in the order written. */
  names: string[];
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");

/** The state a generated domain `vm-i` is in. */
export function stateOfIndex(i: number): "running" | "paused" | "shut off" {
  return i % 7 === 0 ? "shut off" : i % 5 === 0 ? "paused" : "running";
}

function domainXml(i: number): string {
  const name = `vm-${i}`;
  const dir = `/var/lib/libvirt/images/bbtest/${name}`;
  const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const runstate = { running: 1, paused: 3, "shut off": 5 }[stateOfIndex(i)];
  const raw = i % 3 === 0
    ? `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${dir}/data.raw'/><target dev='vdb' bus='virtio'/></disk>`
    : "";
  return `<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
<name>${xmlEscape(name)}</name><uuid>${uuid}</uuid><memory>65536</memory><vcpu>1</vcpu>
<os><type>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${dir}/top.qcow2'/>
<backingStore type='file'><format type='qcow2'/><source file='${dir}/base.qcow2'/><backingStore/></backingStore>
<target dev='vda' bus='virtio'/></disk>${raw}</devices>
<test:runstate>${runstate}</test:runstate></domain>`;
}

/** Writes a node of `count` test domains (shuffled by a fixed permutation, so runs agree). */
export async function writeTestNode(count: number): Promise<TestNode> {
  const dir = await Deno.makeTempDir({ prefix: "bb-testnode-" });
  const order = Array.from({ length: count }, (_, k) => k + 1);
  // A fixed shuffle: the listing must not already be in natural order.
  let seed = 12345;
  for (let k = order.length - 1; k > 0; k--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (k + 1);
    [order[k], order[j]] = [order[j], order[k]];
  }
  const path = `${dir}/node.xml`;
  await Deno.writeTextFile(path, `<node>\n${order.map(domainXml).join("\n")}\n</node>\n`);
  return {
    uri: `test://${path}`,
    names: order.map((i) => `vm-${i}`),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
