import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { echoDoor, getFrom, holdFrom, raw, readAll } from "./front_door_support.ts";

Deno.test("the app gets the real client address; a client-sent peer header is dropped", async () => {
  const d = await echoDoor();
  try {
    const res = await fetch(`http://127.0.0.1:${d.port}/x`, {
      headers: { "x-blockboard-peer": "203.0.113.66" },
    });
    const body = await res.json();
    assertEquals(body.peer, "127.0.0.1");
    assertEquals(body.path, "/x");
    const other = await getFrom("127.0.0.2", d.port, "/y", { "X-Blockboard-Peer": "203.0.113.66" });
    assertEquals(other.status, 200);
    assertEquals(JSON.parse(other.body).peer, "127.0.0.2");
  } finally {
    await d.close();
  }
});

Deno.test("pipelined requests with length and chunked bodies each reach the app intact", async () => {
  const d = await echoDoor();
  try {
    const req = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
      "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" +
      "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    const { text, closed } = await raw(d.port, req);
    assert(closed, "the server closes after Connection: close");
    const bodies = text.split("\r\n\r\n").slice(1).map((b) => b.replace(/\r\n[\s\S]*$/, ""));
    assertStringIncludes(text, '"path":"/a","body":"hello"');
    assertStringIncludes(text, '"path":"/b","body":"abcde"');
    assertStringIncludes(text, '"path":"/c"');
    assert(bodies.length >= 3);
  } finally {
    await d.close();
  }
});

Deno.test("ambiguous framing is refused with 400 and the connection closed", async () => {
  const d = await echoDoor();
  try {
    for (
      const req of [
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
      ]
    ) {
      const { text, closed } = await raw(d.port, req);
      assert(/^HTTP\/1\.1 (400|501)/.test(text), `${JSON.stringify(req)} -> ${text.slice(0, 40)}`);
      assert(closed);
    }
    assertEquals(d.door.stats.badRequests, 4);
  } finally {
    await d.close();
  }
});

Deno.test("a head that never completes is closed after the header deadline", async () => {
  const d = await echoDoor({ headerTimeoutMs: 300 });
  try {
    const idle = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    const partial = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    await partial.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: h\r\n"));
    const [a, b] = await Promise.all([readAll(idle, 3000), readAll(partial, 3000)]);
    assert(a.closed && b.closed, "both closed by the server, not by our 3 s timer");
    assertEquals(d.door.stats.timedOut, 2);
  } finally {
    await d.close();
  }
});

Deno.test("a kept-alive connection is closed when idle; a slow answer is not cut", async () => {
  const d = await echoDoor({ idleTimeoutMs: 300, headerTimeoutMs: 300 }, async (req) => {
    if (new URL(req.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 900));
    return new Response("done");
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    await conn.write(new TextEncoder().encode("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
    const { text, closed } = await readAll(conn, 3000);
    assertStringIncludes(text, "done");
    assert(closed, "closed by the idle deadline after the answer");
  } finally {
    await d.close();
  }
});

Deno.test("one client over its connection cap is refused; other clients are served", async () => {
  const d = await echoDoor({ perClient: 5 });
  try {
    const held: Deno.Conn[] = [];
    for (let i = 0; i < 5; i++) {
      held.push(await Deno.connect({ hostname: "127.0.0.1", port: d.port }));
    }
    const extra = await raw(d.port, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assertStringIncludes(extra.text, "503");
    assertStringIncludes(extra.text, "too_many_connections");
    const other = await getFrom("127.0.0.2", d.port, "/");
    assertEquals(other.status, 200);
    assertEquals(d.door.stats.refusedPerClient, 1);
    for (const c of held) c.close();
  } finally {
    await d.close();
  }
});

Deno.test("at the total cap, idle connections from many addresses make room for a new client", async () => {
  const d = await echoDoor({ total: 20, perClient: 5 });
  try {
    // Four addresses hold the 20 connections without ever sending a head.
    const held = await Promise.all(
      Array.from({ length: 20 }, (_, i) => holdFrom(`127.0.0.${10 + (i % 4)}`, d.port)),
    );
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(d.door.stats.open, 20);
    const res = await getFrom("127.0.0.2", d.port, "/");
    assertEquals(res.status, 200);
    assertEquals(d.door.stats.evicted, 1);
    for (const s of held) s.destroy();
  } finally {
    await d.close();
  }
});

Deno.test("a client that goes away mid-stream cancels the stream at once", async () => {
  let cancelled = false;
  const d = await echoDoor({}, () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("data: hello\n\n"));
        },
        cancel() {
          cancelled = true;
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    ));
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    await conn.write(new TextEncoder().encode("GET /events HTTP/1.1\r\nHost: h\r\n\r\n"));
    await conn.read(new Uint8Array(4096)); // the head and the first event
    conn.close();
    const deadline = Date.now() + 2000;
    while (!cancelled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert(cancelled, "the app's stream was not cancelled");
  } finally {
    await d.close();
  }
});
