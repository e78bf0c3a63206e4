/**
 * A disk's backing chain, drawn top (active layer) to base. Pure.
 *
 * @module
 */
import type { Layer } from "../server/inventory/model.ts";
import { formatBytes } from "./format.ts";

/** The last path component, for display; the full path stays in the title. */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i >= 0 && i < path.length - 1 ? path.slice(i + 1) : path;
}

/** Props of {@link Chain}. */
export interface ChainProps {
  chain: Layer[];
}

/** An ordered list of layers: the first is the one the VM writes to. */
export function Chain({ chain }: ChainProps) {
  if (chain.length === 0) return <p class="muted">No media</p>;
  return (
    <ol class="chain" aria-label="backing chain, active layer first">
      {chain.map((layer, i) => (
        <li
          class={`layer ${i === 0 ? "layer-top" : ""} ${
            i === chain.length - 1 && chain.length > 1 ? "layer-base" : ""
          }`}
          data-path={layer.path}
        >
          <div class="layer-main">
            <span class="layer-role">
              {i === 0 ? "active" : i === chain.length - 1 ? "base" : `backing ${i}`}
            </span>
            <span class="layer-file" title={layer.path}>{baseName(layer.path)}</span>
            <span class={`fmt ${layer.format ? "" : "fmt-unknown"}`}>
              {layer.format ?? "format unknown"}
            </span>
          </div>
          <div class="layer-meta">
            <span class="layer-path">{layer.path}</span>
            <span>
              virtual <b>{formatBytes(layer.capacity)}</b>
            </span>
            <span>
              on disk <b>{formatBytes(layer.allocation)}</b>
            </span>
            {layer.index !== null ? <span class="muted">index {layer.index}</span> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
