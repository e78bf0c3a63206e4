/**
 * Framing of an interactive virsh's two output streams, so that one long-lived process can answer
 * many commands and each answer is attributed to its command.
 *
 * Interactive virsh (stdin a pipe) echoes `virsh # LINE` before each command's output on stdout,
 * writes errors to stderr with nothing on stdout to tie them to a command, and never stops on a
 * failure. So every command is preceded by `echo START` and followed by `echo END` (stdout) and
 * `cd /nonexistent-blockboard/MARK` (a local command that fails on stderr and calls no libvirt
 * API). The markers hold a random token per process, so no domain name or XML can forge them.
 *
 * @module
 */
import { virshCommandLine } from "./quote.ts";

/** Directory `cd` is sent into to mark the end of a command's stderr; it never exists. */
const MISSING_DIR = "/nonexistent-blockboard";

/** The markers of command number `seq` in a session with token `token`. */
export interface FrameMarkers {
  /** Printed on stdout by `echo` before the command. */
  start: string;
  /** Printed on stdout by `echo` after the command. */
  stdout: string;
  /** Named in `cd`'s error on stderr. */
  stderr: string;
}

/** Markers of one command: unique per token and sequence number. */
export function frameMarkers(token: string, seq: number): FrameMarkers {
  return {
    start: `bb-${token}-s${seq}`,
    stdout: `bb-${token}-o${seq}`,
    stderr: `bb-${token}-e${seq}`,
  };
}

/** What to write to virsh's stdin for one command: a start marker, the command, end markers. */
export function framedInput(args: readonly string[], markers: FrameMarkers): string {
  return `echo ${markers.start}\n${
    virshCommandLine(args)
  }\necho ${markers.stdout}\ncd ${MISSING_DIR}/${markers.stderr}\n`;
}

/** A command's share of one stream, and what is left of the buffer after it. */
export interface Taken {
  text: string;
  rest: string;
}

/**
 * Takes one command's stdout from the buffer, or null while its end marker has not arrived.
 *
 * virsh echoes each input line after its prompt, and readline mangles that echo of a long line
 * (it inserts carriage returns where an 80-column screen would wrap), so the echo is never
 * matched: the command's output starts after the first line break that follows the start
 * marker's output and the next prompt. A quoted command line never holds a line break.
 */
export function takeStdout(buffer: string, markers: FrameMarkers): Taken | null {
  const endText = `virsh # echo ${markers.stdout}\n${markers.stdout}`;
  const end = buffer.indexOf(endText);
  if (end < 0) return null;
  const startText = `echo ${markers.start}\n${markers.start}\n`;
  const started = buffer.indexOf(startText);
  let text = "";
  if (started >= 0 && started < end) {
    const echoEnd = buffer.indexOf("\n", started + startText.length);
    if (echoEnd >= 0 && echoEnd < end) text = buffer.slice(echoEnd + 1, end);
  }
  let restAt = end + endText.length;
  if (buffer[restAt] === "\n") restAt++;
  return { text, rest: buffer.slice(restAt) };
}

/** Takes one command's stderr from the buffer, or null while its marker line is incomplete. */
export function takeStderr(buffer: string, marker: string): Taken | null {
  // The path ends its line: `bb-T-e1` must not match inside `bb-T-e10`.
  const at = buffer.indexOf(`${MISSING_DIR}/${marker}\n`);
  if (at < 0) return null;
  const lineEnd = buffer.indexOf("\n", at);
  const lineStart = buffer.lastIndexOf("\n", at) + 1;
  return { text: buffer.slice(0, lineStart), rest: buffer.slice(lineEnd + 1) };
}

/**
 * virsh reconnects by itself after libvirtd restarted and says so as an `error:` line before
 * running the command normally; that line is news, not a failure of the command.
 */
const RECONNECTED = /^error: Reconnected to the hypervisor\n?/gm;

/** A command's stderr without virsh's reconnection notice. */
export function withoutReconnectNotice(stderr: string): string {
  return stderr.replace(RECONNECTED, "");
}

/** Interactive virsh has no per-command exit status: a command failed when it printed `error:`. */
export function exitCodeOf(stderr: string): number {
  return /^error:/m.test(withoutReconnectNotice(stderr)) ? 1 : 0;
}
