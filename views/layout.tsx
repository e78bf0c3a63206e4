/**
 * The page shell: head, header, banners, main area. Pure.
 *
 * @module
 */
import type { Child } from "hono/jsx";

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  /** libvirt connection URI shown in the header. */
  uri: string;
  children?: Child;
  /** Banners shown above the content (errors, open-mode notice). */
  banners?: Child;
}

/** The HTML document around every page. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/htmx.min.js" defer></script>
        <script src="/static/app.js" defer></script>
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">blockboard</a>
          <span class="uri" title="libvirt connection">{props.uri}</span>
        </header>
        <div id="banners">{props.banners}</div>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
