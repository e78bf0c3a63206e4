import { assert, assertEquals } from "@std/assert";
import { FrontDoor } from "../../server/http/front_door.ts";
import { serveUpstream } from "../../server/http/upstream.ts";

/** A self-signed certificate for 127.0.0.1 (openssl), in a temporary directory. */
async function selfSigned(): Promise<{ cert: string; key: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "bb-tls-" });
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return {
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
    dir,
  };
}

Deno.test("over TLS: requests are served with the peer address; a silent client is closed", async () => {
  const tls = await selfSigned();
  const upstream = await serveUpstream((_req, env) =>
    Response.json({ peer: env.remoteAddr.hostname })
  );
  const door = new FrontDoor({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: tls.cert, key: tls.key },
    upstreamPath: upstream.path,
    limits: { headerTimeoutMs: 300 },
    log: () => {},
  });
  const client = Deno.createHttpClient({ caCerts: [tls.cert] });
  try {
    const res = await fetch(`https://127.0.0.1:${door.addr.port}/`, { client });
    assertEquals(await res.json(), { peer: "127.0.0.1" });
    // Clients that connect and never start the handshake are closed at the header deadline,
    // and every descriptor the server held for them is given back while they stay connected.
    const fds = () => [...Deno.readDirSync("/proc/self/fd")].length;
    const before = fds();
    const silent = await Promise.all(
      Array.from(
        { length: 20 },
        () => Deno.connect({ hostname: "127.0.0.1", port: door.addr.port }),
      ),
    );
    const eof = await Promise.all(silent.map(async (c) => {
      const timer = setTimeout(() => c.close(), 3000);
      const n = await c.read(new Uint8Array(16)).catch(() => "error");
      clearTimeout(timer);
      return n === null;
    }));
    assertEquals(eof.filter(Boolean).length, 20, "each closed by the server");
    await new Promise((r) => setTimeout(r, 200));
    // Our 20 client sockets are still open; the server side of each must be gone.
    const held = fds() - before;
    assert(held <= 22, `${held} descriptors held for 20 closed connections`);
    for (const c of silent) c.close();
  } finally {
    client.close();
    await door.close();
    await upstream.shutdown(500);
    await Deno.remove(tls.dir, { recursive: true });
  }
});
