/**
 * HTTP/1.1 request framing for the front door: finds where each request head ends, rewrites the
 * head (drops any client-sent peer header, adds the real one) and follows the body to its end
 * (`Content-Length` or chunked), so that every request on a kept-alive connection gets its own
 * peer header and its own deadlines.
 *
 * It is deliberately stricter than the HTTP server behind it: anything it does not frame exactly
 * as that server would (bare CR or LF, folded headers, both `Content-Length` and
 * `Transfer-Encoding`, a coding other than `chunked`, odd chunk sizes) is refused with 400 and the
 * connection closed, so the two can never disagree about where a request ends (no smuggling).
 *
 * @module
 */

/** Largest request head (request line and headers). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Largest chunk-size line or trailer line of a chunked body. */
const MAX_CHUNK_LINE = 1024;

/** A request the front door refuses: status and a sentence. */
export class FramingError extends Error {
  constructor(readonly status: 400 | 431 | 501, message: string) {
    super(message);
    this.name = "FramingError";
  }
}

/** How the body after a head is delimited. */
export type BodyFraming = { kind: "none" } | { kind: "length"; length: number } | {
  kind: "chunked";
};

/** A parsed, rewritten head. */
export interface RequestHead {
  /** The head to forward, ending in the blank line. */
  bytes: Uint8Array;
  method: string;
  body: BodyFraming;
  /** The client asked to close after this request (or spoke HTTP/1.0 without keep-alive). */
  close: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.([01])$/;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * Index just past the blank line ending the head in `buf` (leading CRLFs allowed), or -1 when
 * more bytes are needed.
 * @throws {FramingError} when the head is over {@link MAX_HEAD_BYTES}.
 */
export function headEnd(buf: Uint8Array): number {
  for (let i = 3; i < buf.length; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      if (i + 1 > MAX_HEAD_BYTES) break;
      return i + 1;
    }
  }
  if (buf.length > MAX_HEAD_BYTES) {
    throw new FramingError(431, `the request head is over ${MAX_HEAD_BYTES / 1024} KiB`);
  }
  return -1;
}

/**
 * Parses `head` (bytes up to and including the blank line), removes every `peerHeader` the client
 * sent and appends `peerHeader: peer`.
 * @throws {FramingError} for anything not framed unambiguously.
 */
export function rewriteHead(head: Uint8Array, peerHeader: string, peer: string): RequestHead {
  let text = latin1.decode(head);
  while (text.startsWith("\r\n")) text = text.slice(2);
  const lines = text.slice(0, -4).split("\r\n");
  for (const line of lines) {
    if (line.includes("\r") || line.includes("\n") || line.includes("\0")) {
      throw new FramingError(400, "bare CR, LF or NUL in the request head");
    }
  }
  const request = REQUEST_LINE.exec(lines[0] ?? "");
  if (!request) throw new FramingError(400, "malformed request line");
  const [, method, , minor] = request;
  const kept: string[] = [lines[0]];
  const lengths: string[] = [];
  const codings: string[] = [];
  const connection: string[] = [];
  const lowerPeer = peerHeader.toLowerCase();
  for (const line of lines.slice(1)) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new FramingError(400, "folded header lines are not accepted");
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) throw new FramingError(400, "malformed header line");
    const lower = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (lower === lowerPeer) continue;
    if (lower === "content-length") lengths.push(value);
    if (lower === "transfer-encoding") codings.push(value);
    if (lower === "connection") connection.push(value.toLowerCase());
    kept.push(line);
  }
  let body: BodyFraming = { kind: "none" };
  if (codings.length > 0) {
    if (lengths.length > 0) {
      throw new FramingError(400, "both Content-Length and Transfer-Encoding were sent");
    }
    if (minor === "0" || codings.length !== 1 || codings[0].toLowerCase() !== "chunked") {
      throw new FramingError(501, "the only transfer coding accepted is chunked");
    }
    body = { kind: "chunked" };
  } else if (lengths.length > 0) {
    if (!lengths.every((l) => l === lengths[0]) || !/^[0-9]{1,15}$/.test(lengths[0])) {
      throw new FramingError(400, "malformed Content-Length");
    }
    const length = Number(lengths[0]);
    if (length > 0) body = { kind: "length", length };
  }
  const tokens = connection.flatMap((v) => v.split(",").map((t) => t.trim()));
  const close = tokens.includes("close") || (minor === "0" && !tokens.includes("keep-alive"));
  kept.push(`${peerHeader}: ${peer}`);
  return { bytes: encoder.encode(kept.join("\r\n") + "\r\n\r\n"), method, body, close };
}

/**
 * Follows a chunked body byte by byte (without decoding it: the bytes are forwarded as they
 * came) and says where it ends.
 */
export class ChunkedTracker {
  #state: "size" | "data" | "data-cr" | "data-lf" | "trailer" = "size";
  #line = "";
  #remaining = 0;

  /**
   * Consumes bytes of `buf`; returns how many belong to the body and whether the body ended
   * there (the rest of `buf` is the next request).
   * @throws {FramingError} on a malformed chunk.
   */
  feed(buf: Uint8Array): { used: number; done: boolean } {
    let i = 0;
    while (i < buf.length) {
      switch (this.#state) {
        case "data": {
          const n = Math.min(this.#remaining, buf.length - i);
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = "data-cr";
          break;
        }
        case "data-cr":
          if (buf[i++] !== 13) throw new FramingError(400, "chunk data not followed by CRLF");
          this.#state = "data-lf";
          break;
        case "data-lf":
          if (buf[i++] !== 10) throw new FramingError(400, "chunk data not followed by CRLF");
          this.#state = "size";
          break;
        case "size":
        case "trailer": {
          const byte = buf[i++];
          if (byte !== 10) {
            this.#line += String.fromCharCode(byte);
            if (this.#line.length > MAX_CHUNK_LINE) {
              throw new FramingError(400, "chunk line too long");
            }
            break;
          }
          if (!this.#line.endsWith("\r")) throw new FramingError(400, "bare LF in chunked body");
          const line = this.#line.slice(0, -1);
          this.#line = "";
          if (line.includes("\r")) throw new FramingError(400, "bare CR in chunked body");
          if (this.#state === "trailer") {
            if (line === "") return { used: i, done: true };
            break;
          }
          const size = /^([0-9a-fA-F]{1,12})(?:;[^\r\n]*)?$/.exec(line);
          if (!size) throw new FramingError(400, "malformed chunk size");
          this.#remaining = parseInt(size[1], 16);
          this.#state = this.#remaining === 0 ? "trailer" : "data";
          break;
        }
      }
    }
    return { used: i, done: false };
  }
}
