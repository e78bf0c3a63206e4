/**
 * Display form of a virsh call: `virsh -c URI argv...`, POSIX-shell quoted so an operator can
 * copy it into a shell. Display only: blockboard never runs a shell.
 *
 * @module
 */

/** Quotes one word when it holds anything but plainly safe characters. Pure. */
export function quoteWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line for `args` (after the binary). `args` may already start with `-c URI` (as a
 * runner record's argv does); otherwise `-c uri` is added. Pure.
 */
export function displayCommandLine(uri: string, args: readonly string[]): string {
  const full = args[0] === "-c" ? args : ["-c", uri, ...args];
  return ["virsh", ...full].map(quoteWord).join(" ");
}
