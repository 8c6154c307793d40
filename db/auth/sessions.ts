/**
 * Sessions as the Lucia guide (lucia-auth.com) builds them, on @oslojs: a token is
 * `<id>.<secret>`, both random base32; the store keeps the id and SHA-256 of the secret, and
 * validation compares hashes in constant time. Sessions slide: one used in the second half of
 * its life is extended to a full SESSION_TTL_MS again.
 */
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import type { Store } from "../client";
import { type Session, sessions, type User, users } from "../schema";

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const SESSION_RENEW_BEFORE_MS = SESSION_TTL_MS / 2;

export interface SessionWithToken {
  session: Session;
  /** Give this to the client (cookie); it is not stored anywhere. */
  token: string;
}

export type SessionUser = Pick<User, "id" | "email" | "role" | "subjectId" | "displayName">;

export function randomSecret(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

export function hashSecret(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

export async function createSession(
  store: Store,
  userId: number,
  now: Date = new Date(),
): Promise<SessionWithToken> {
  const id = randomSecret();
  const secret = randomSecret();
  const [session] = await store.db
    .insert(sessions)
    .values({
      id,
      secretHash: hashSecret(secret),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
    })
    .returning();
  if (!session) throw new Error("couldn't create a session: the insert returned no row");
  return { session, token: `${id}.${secret}` };
}

/**
 * The session and its user for a token, or null if the token is malformed, unknown, does not
 * match, or has expired (an expired session is deleted). `renewed`: the expiry slid forward,
 * so the client's cookie should be sent again.
 */
export async function validateSessionToken(
  store: Store,
  token: string,
  now: Date = new Date(),
): Promise<{ session: Session; user: SessionUser; renewed: boolean } | null> {
  const [id, secret, extra] = token.split(".");
  if (!id || !secret || extra !== undefined) return null;
  const [row] = await store.db
    .select({
      session: sessions,
      user: {
        id: users.id,
        email: users.email,
        role: users.role,
        subjectId: users.subjectId,
        displayName: users.displayName,
      },
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id));
  if (!row) return null;
  if (!constantTimeEqual(hashSecret(secret), new Uint8Array(row.session.secretHash))) return null;
  if (now.getTime() >= row.session.expiresAt.getTime()) {
    await invalidateSession(store, id);
    return null;
  }
  if (row.session.expiresAt.getTime() - now.getTime() < SESSION_RENEW_BEFORE_MS) {
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await store.db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id));
    return { ...row, session: { ...row.session, expiresAt }, renewed: true };
  }
  return { ...row, renewed: false };
}

export async function invalidateSession(store: Store, sessionId: string): Promise<void> {
  await store.db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** The session id part of a token, for logging out without validating. */
export function sessionIdOf(token: string): string | null {
  const [id] = token.split(".");
  return id || null;
}
