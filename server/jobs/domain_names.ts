/**
 * Domain names and UUIDs as `list` and the live XML last gave them: events and terminal lines
 * name domains, the book keys jobs by UUID. A renamed domain's old name is forgotten.
 *
 * @module
 */

/** Names by UUID and back; see the module doc. */
export class DomainNames {
  readonly #uuidByName = new Map<string, string>();
  readonly #nameByUuid = new Map<string, string>();

  /** The UUID of the domain last seen with `name`, or undefined. */
  uuidOf(name: string): string | undefined {
    return this.#uuidByName.get(name);
  }

  /** True when `uuid` is a UUID of a domain seen. */
  hasUuid(uuid: string): boolean {
    return this.#nameByUuid.has(uuid);
  }

  /** Every name seen (the event parser needs them for names with odd characters). */
  names(): string[] {
    return [...this.#uuidByName.keys()];
  }

  /** Records the domain's current name. */
  remember(uuid: string, name: string): void {
    const old = this.#nameByUuid.get(uuid);
    if (old !== undefined && old !== name) this.#uuidByName.delete(old);
    this.#nameByUuid.set(uuid, name);
    this.#uuidByName.set(name, uuid);
  }
}
