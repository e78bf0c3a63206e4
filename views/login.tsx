/**
 * The login page. Pure.
 *
 * @module
 */
import { Layout } from "./layout.tsx";

/** Props of {@link LoginPage}. */
export interface LoginPageProps {
  uri: string;
  /** Where to go after logging in (already made safe). */
  next: string;
  /** Why the last attempt failed. */
  error?: string | null;
  /** Name typed last time. */
  username?: string;
  /** No users exist yet (open mode): say how to create one. */
  noUsers?: boolean;
}

/** `GET /login`. */
export function LoginPage(props: LoginPageProps) {
  return (
    <Layout
      title="Log in — blockboard"
      uri={props.uri}
      session={null}
    >
      <section class="login">
        <h1>Log in</h1>
        {props.error ? <p class="error-message" role="alert">{props.error}</p> : null}
        {props.noUsers
          ? (
            <p class="hint">
              No users exist yet. Create one on the host:{" "}
              <code>deno task user add NAME --role admin</code>
            </p>
          )
          : null}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={props.next} />
          <label>
            User name
            <input name="username" autocomplete="username" required value={props.username ?? ""} />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Log in</button>
        </form>
      </section>
    </Layout>
  );
}
