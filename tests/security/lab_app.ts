/**
 * The REAL secured app over real virsh and qemu-img for lab security tests: an operator token,
 * a JSON API helper, the copy form's preview fragment, and a record of every virsh call.
 *
 * @module
 */
import { createApp } from "../../server/app.tsx";
import { createServices, type Services } from "../../server/services.ts";
import type { JobOperationsOptions } from "../../server/jobs/operations.ts";
import { testSecurity } from "../support/security.ts";
import type { VirshRunner } from "../../server/virsh/runner.ts";
import { LAB_ROOT } from "../lab/lab.ts";

const HOST = "127.0.0.1:8080";

/** Options of {@link labApp}. */
export interface LabAppOptions {
  runner: VirshRunner;
  roots: string[];
  operations?: JobOperationsOptions;
}

/** A secured app, its services and helpers; `calls` lists every virsh argv that ran. */
export async function labApp(options: LabAppOptions) {
  const services: Services = createServices(options.runner, {
    storageRoots: options.roots,
    operations: { pivotRetryDelayMs: 200, ...options.operations },
  });
  const security = testSecurity();
  const { token } = await security.tokens.create("lab", "operator");
  const app = createApp({ ...services, security });
  const calls: string[][] = [];
  const unsubscribe = options.runner.onCall((r) => calls.push(r.argv.slice(2)));
  const request = (path: string, init: { json?: unknown; form?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { host: HOST, authorization: `Bearer ${token}` };
    let body: string | undefined;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    return app.request(path, { method: body === undefined ? "GET" : "POST", headers, body });
  };
  return {
    app,
    services,
    calls,
    request,
    /** `POST /api/v1/domains/NAME/disks/vda/copy`. */
    copy: (name: string, body: Record<string, unknown>, target = "vda") =>
      request(`/api/v1/domains/${encodeURIComponent(name)}/disks/${target}/copy`, { json: body }),
    /** The copy form's preview fragment (HTML). */
    preview: async (uuid: string, form: Record<string, string>, target = "vda") =>
      await (await request(`/ui/domains/${uuid}/disks/${target}/preview/copy`, { form })).text(),
    /** True when a blockcopy ran. */
    copied: () => calls.some((argv) => argv[0] === "blockcopy"),
    async [Symbol.asyncDispose]() {
      unsubscribe();
      await services.monitor.stop?.();
    },
  };
}

/** A directory outside every storage root, removed by `await using`. */
export async function outsideDir() {
  const path = await Deno.realPath(await Deno.makeTempDir({ dir: "/var/tmp", prefix: "bb-out-" }));
  if (path.startsWith(LAB_ROOT)) throw new Error("the outside directory must be outside the lab");
  return {
    path,
    listing: async () => (await Array.fromAsync(Deno.readDir(path))).map((e) => e.name).sort(),
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Overwrites a qcow2 header's backing-format extension magic, so it names no backing format. */
export async function dropBackingFormat(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const head = new Uint8Array(4096);
    await file.read(head);
    const magic = [0xe2, 0x79, 0x2a, 0xca];
    const at = head.findIndex((_, i) => magic.every((b, j) => head[i + j] === b));
    if (at < 0) throw new Error(`${path} has no backing-format extension`);
    head.set([0x0b, 0xad, 0xf0, 0x0d], at); // an unknown extension QEMU skips
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(head);
  } finally {
    file.close();
  }
}
