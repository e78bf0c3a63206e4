/**
 * Refusals as pages: the guards (Host, Origin, CSRF, role) answer in the API's shapes — JSON or
 * plain text — wherever they stop a request. A person in a browser should instead see the app's
 * own styled error page, with the same status, headers and reason. API clients and htmx keep the
 * original answer. Also the app's one `onError` and its not-found answer.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import type { ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import {
  errorBody,
  failureOf,
  HttpError,
  isHtmxRequest,
  noteFailure,
  toHttpError,
  wantsHtml,
  wantsJson,
} from "../http_errors.ts";
import { layoutSessionOf } from "./viewer.ts";
import { ErrorPage } from "../../views/pages.tsx";

/** Titles of the statuses a browser can meet. */
const TITLES: Readonly<Record<number, string>> = {
  400: "Bad request",
  401: "Sign in first",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Request too large",
  421: "Wrong host name",
  429: "Too many requests",
  502: "libvirt refused",
  503: "libvirt unavailable",
};

/** The title of an error page for `status`. */
export function errorTitle(status: number): string {
  return TITLES[status] ?? "Error";
}

/**
 * Middleware: turns a non-HTML error answer (4xx/5xx) to a browser request into the styled
 * {@link ErrorPage}. Only requests that want HTML and are not htmx (htmx swaps fragments, so a
 * whole page would land inside the target) are rewritten; every header of the original answer
 * (`Retry-After`, `Set-Cookie`, security headers) is kept.
 */
export function htmlErrorPages(options: { uri: string }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const res = c.res;
    if (res.status < 400 || !wantsHtml(c)) return;
    if ((res.headers.get("content-type") ?? "").startsWith("text/html")) return;
    // The reason every refusal notes (see noteFailure); a body is read only when none was noted.
    const message = failureOf(c) ?? (await res.clone().text()).slice(0, 2000);
    const headers = new Headers(res.headers);
    headers.delete("content-length");
    headers.set("content-type", "text/html; charset=UTF-8");
    const page = (
      <ErrorPage
        uri={options.uri}
        session={layoutSessionOf(c)}
        status={res.status}
        title={errorTitle(res.status)}
        message={message}
      />
    );
    const body = await page.toString();
    // Cleared first: assigning over a response merges its headers (content-length included).
    c.res = undefined;
    c.res = new Response(body, { status: res.status, headers });
  };
}

/**
 * The app's `onError`, where guards and routes end alike: every thrown value becomes an
 * `HttpError` (see `toHttpError`), answered with its headers as `{"error":{"code","message"}}`
 * to JSON clients, as the sentence in plain text to htmx (it swaps it where the operator
 * clicked), and as the error page (everything escaped) otherwise.
 */
export function errorHandler(options: { uri: string }): ErrorHandler<AppEnv> {
  return (e, c) => {
    const err = toHttpError(e);
    noteFailure(c, err.message);
    const headers = { ...err.headers };
    if (wantsJson(c)) return c.json(errorBody(err), err.status, headers);
    if (isHtmxRequest(c)) return c.text(err.message, err.status, headers);
    return c.html(
      <ErrorPage
        uri={options.uri}
        session={layoutSessionOf(c)}
        status={err.status}
        title={errorTitle(err.status)}
        message={err.message}
      />,
      err.status,
      headers,
    );
  };
}

/** The app's not-found answer: JSON `not_found` or the error page. */
export function notFoundHandler(options: { uri: string }): NotFoundHandler<AppEnv> {
  return (c) => {
    const message = `No route ${c.req.method} ${c.req.path}`;
    noteFailure(c, message);
    if (wantsJson(c)) return c.json(errorBody(new HttpError(404, "not_found", message)), 404);
    return c.html(
      <ErrorPage
        uri={options.uri}
        session={layoutSessionOf(c)}
        status={404}
        title="Not found"
        message={`Nothing at ${c.req.path}`}
      />,
      404,
    );
  };
}
