/**
 * The page shell: skip link, head, header (with the user menu), banners, main area, and the
 * terminal for signed-in users. Pure: who is looking comes in as `session`. Each page puts
 * exactly one `h1` in its content; the shell has none.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { TerminalPanel } from "./terminal.tsx";
import { Banner } from "./banner.tsx";
import { NotifyAllButton } from "./job_notify.tsx";

/** The caller as the header shows it. */
export interface LayoutSession {
  user: { name: string; role: string; via: "session" | "token" | "open" } | null;
  /** Sent by htmx on every request (`hx-headers`) and in plain forms (`_csrf`). */
  csrfToken: string | null;
  /** No login configured: show the open-mode banner. */
  openMode: boolean;
  /** `host:port` the page was reached at, for the open-mode banner. */
  address: string;
}

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  /** libvirt connection URI shown in the header. */
  uri: string;
  children?: Child;
  /** Banners shown above the content (errors, open-mode notice). */
  banners?: Child;
  /** Who is looking; null before sign-in. */
  session: LayoutSession | null;
}

/** The HTML document around every page. */
export function Layout(props: LayoutProps) {
  const session = props.session;
  const csrf = session?.csrfToken;
  const user = session?.user;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        {/* Without it every page load asks for /favicon.ico and logs a 404 in the console. */}
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/htmx.min.js" defer></script>
        <link rel="stylesheet" href="/static/terminal.css" />
        <link rel="stylesheet" href="/static/moves.css" />
        <script src="/static/app.js" defer></script>
        <script src="/static/terminal.js" defer></script>
        <script src="/static/notify.js" type="module"></script>
      </head>
      <body
        {
          // htmx 4 inherits only what is marked `:inherited`: every request below sends the token.
          ...(csrf ? { "hx-headers:inherited": JSON.stringify({ "X-CSRF-Token": csrf }) } : {})
        }
      >
        {/* First focusable element: keyboard users jump past the header and banners. */}
        <a class="skip-link" href="#content">Skip to content</a>
        <header class="topbar">
          <a class="brand" href="/">blockboard</a>
          <span class="uri" title="libvirt connection">{props.uri}</span>
          {user
            ? (
              <nav class="user-menu" aria-label="user">
                {user.role !== "viewer" ? <a href="/audit">Audit log</a> : null}
                {user.role === "admin" ? <a href="/admin/users">Users</a> : null}
                <NotifyAllButton />
                <span class="user-name">{user.name}</span>
                <span class="user-role">({user.role})</span>
                {user.via === "session"
                  ? (
                    <form method="post" action="/logout" class="logout">
                      <input type="hidden" name="_csrf" value={csrf ?? ""} />
                      <button type="submit">Log out</button>
                    </form>
                  )
                  : null}
              </nav>
            )
            : null}
        </header>
        <div id="banners">
          {session?.openMode
            ? (
              <Banner
                kind="warning"
                title="No login:"
                message={`anyone who can reach ${session.address} controls this host.`}
                hint="Create a user with `deno task user add NAME --role admin`"
              />
            )
            : null}
          {props.banners}
        </div>
        {/* tabindex -1: the skip link moves keyboard focus here, not only the scroll position. */}
        <main id="content" tabindex={-1}>{props.children}</main>
        {user ? <TerminalPanel uri={props.uri} /> : null}
      </body>
    </html>
  );
}
