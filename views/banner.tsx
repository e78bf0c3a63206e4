/**
 * Banners: what failed and what to do. Pure.
 *
 * @module
 */

/** Props of {@link Banner}. */
export interface BannerProps {
  kind: "error" | "warning" | "info";
  title: string;
  message: string;
  /** A next step the operator can take. */
  hint?: string;
}

/** A full-width notice. */
export function Banner(props: BannerProps) {
  return (
    <div class={`banner banner-${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      <strong>{props.title}</strong> <span class="banner-message">{props.message}</span>
      {props.hint ? <div class="banner-hint">{props.hint}</div> : null}
    </div>
  );
}
