/**
 * The portal side of Lucia-style sessions (db/auth/sessions.ts holds the store side): the
 * session cookie, and guards that *throw* a Response so a loader reads top to bottom.
 * Cookie: httpOnly, sameSite=lax, path=/, Secure on HTTPS; it carries `<id>.<secret>` and only
 * the hash of the secret is stored.
 */
import { redirect } from "@remix-run/node";
import {
  createSession,
  invalidateSession,
  type SessionUser,
  sessionIdOf,
  validateSessionToken,
} from "../../db/auth/sessions";
import { getStore } from "../store.server";

export const SESSION_COOKIE = "provtopia_session";

function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

function cookieAttributes(request: Request): string {
  const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
  return `Path=/; HttpOnly; SameSite=Lax${secure}`;
}

export function sessionCookie(request: Request, token: string, expiresAt: Date): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; ${cookieAttributes(request)}; Expires=${expiresAt.toUTCString()}`;
}

export function clearedSessionCookie(request: Request): string {
  return `${SESSION_COOKIE}=; ${cookieAttributes(request)}; Max-Age=0`;
}

export interface AuthenticatedRequest {
  user: SessionUser;
  /** Headers to send back (a renewed cookie when the session slid forward). */
  headers: Headers;
}

/** The signed-in user, or null. */
export async function getUser(request: Request): Promise<AuthenticatedRequest | null> {
  const token = readCookie(request, SESSION_COOKIE);
  if (!token) return null;
  const store = await getStore();
  const result = await validateSessionToken(store, token);
  if (!result) return null;
  const headers = new Headers();
  if (result.renewed) {
    headers.append("Set-Cookie", sessionCookie(request, token, result.session.expiresAt));
  }
  return { user: result.user, headers };
}

/** The signed-in user; otherwise throws a redirect to the log-in page (and back after). */
export async function requireUser(request: Request): Promise<AuthenticatedRequest> {
  const auth = await getUser(request);
  if (auth) return auth;
  const url = new URL(request.url);
  const redirectTo = `${url.pathname}${url.search}`;
  throw redirect(`/login?${new URLSearchParams({ redirectTo })}`);
}

/** A signed-in data subject with their subject id; staff accounts get 403. */
export async function requireSubject(
  request: Request,
): Promise<AuthenticatedRequest & { subjectId: number }> {
  const auth = await requireUser(request);
  if (auth.user.subjectId === null) {
    throw new Response("This page is for data subjects.", { status: 403 });
  }
  return { ...auth, subjectId: auth.user.subjectId };
}

/** A signed-in data protection officer; everyone else signed in gets 403. */
export async function requireDpo(request: Request): Promise<AuthenticatedRequest> {
  const auth = await requireUser(request);
  if (auth.user.role !== "dpo") {
    throw new Response("This page is for the data protection officer.", { status: 403 });
  }
  return auth;
}

/** Starts a session and returns the Set-Cookie header value. */
export async function logIn(request: Request, userId: number): Promise<string> {
  const { session, token } = await createSession(await getStore(), userId);
  return sessionCookie(request, token, session.expiresAt);
}

/** Ends the request's session, if any, and returns the Set-Cookie header that clears it. */
export async function logOut(request: Request): Promise<string> {
  const token = readCookie(request, SESSION_COOKIE);
  const id = token ? sessionIdOf(token) : null;
  if (id) await invalidateSession(await getStore(), id);
  return clearedSessionCookie(request);
}

/**
 * CSRF defence for every non-GET request (the Lucia guide's Origin check): the browser's
 * Origin must be this site's. Throws 403 otherwise.
 */
export function assertSameOrigin(request: Request): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  const origin = request.headers.get("origin");
  const expected = new URL(request.url).origin;
  const host = request.headers.get("host");
  if (origin === expected) return;
  if (origin && host && new URL(origin).host === host) return;
  throw new Response("Cross-origin request refused.", { status: 403 });
}

/** Only same-site paths, so a crafted link cannot bounce a fresh session elsewhere. */
export function safeRedirectPath(value: unknown, fallback = "/me"): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//"))
    return fallback;
  return value;
}
