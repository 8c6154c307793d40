/**
 * Capture-host bearer tokens for the bridge's `POST /ingest`, built like portal sessions
 * (db/auth/sessions.ts): `<id>.<secret>`, 160 random bits each; the store keeps the id and
 * SHA-256 of the secret, and a check compares hashes in constant time. A token is shown once,
 * when issued. Revoking keeps the row (with `revoked_at`) so the audit trail stays.
 */
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Store } from "../client";
import { hosts, hostTokens } from "../schema";
import { hashSecret, randomSecret } from "./sessions";

export interface IssuedHostToken {
  /** The public half, for `revoke` and logs. */
  id: string;
  /** Give this to the capture host; it is not stored anywhere. */
  token: string;
}

/** Issues a new token for `hostName`, registering the host if it is new. */
export async function issueHostToken(store: Store, hostName: string): Promise<IssuedHostToken> {
  const id = randomSecret();
  const secret = randomSecret();
  await store.db.transaction(async (tx) => {
    const [host] = await tx
      .insert(hosts)
      .values({ name: hostName })
      .onConflictDoUpdate({ target: hosts.name, set: { name: sql`excluded.name` } })
      .returning({ id: hosts.id });
    if (!host) throw new Error(`couldn't register host ${hostName}: the upsert returned no row`);
    await tx.insert(hostTokens).values({ id, hostId: host.id, secretHash: hashSecret(secret) });
  });
  return { id, token: `${id}.${secret}` };
}

/**
 * Revokes the host's live tokens (only `tokenId` when given); returns how many were revoked.
 */
export async function revokeHostTokens(
  store: Store,
  hostName: string,
  tokenId?: string,
  now: Date = new Date(),
): Promise<number> {
  const revoked = await store.db
    .update(hostTokens)
    .set({ revokedAt: now })
    .where(
      and(
        isNull(hostTokens.revokedAt),
        sql`${hostTokens.hostId} = (select id from ${hosts} where ${hosts.name} = ${hostName})`,
        tokenId === undefined ? undefined : eq(hostTokens.id, tokenId),
      ),
    )
    .returning({ id: hostTokens.id });
  return revoked.length;
}

/** The host a live token belongs to, or null if it is malformed, unknown, wrong or revoked. */
export async function authenticateHostToken(
  store: Store,
  token: string,
): Promise<{ hostName: string; tokenId: string } | null> {
  const [id, secret, extra] = token.split(".");
  if (!id || !secret || extra !== undefined) return null;
  const [row] = await store.db
    .select({ hostName: hosts.name, secretHash: hostTokens.secretHash })
    .from(hostTokens)
    .innerJoin(hosts, eq(hosts.id, hostTokens.hostId))
    .where(and(eq(hostTokens.id, id), isNull(hostTokens.revokedAt)));
  if (!row) return null;
  if (!constantTimeEqual(hashSecret(secret), new Uint8Array(row.secretHash))) return null;
  return { hostName: row.hostName, tokenId: id };
}

/** The host's tokens, live and revoked, oldest first: ids and dates only (nothing secret). */
export async function listHostTokens(
  store: Store,
  hostName: string,
): Promise<{ id: string; createdAt: Date; revokedAt: Date | null }[]> {
  return store.db
    .select({ id: hostTokens.id, createdAt: hostTokens.createdAt, revokedAt: hostTokens.revokedAt })
    .from(hostTokens)
    .innerJoin(hosts, eq(hosts.id, hostTokens.hostId))
    .where(eq(hosts.name, hostName))
    .orderBy(asc(hostTokens.createdAt), asc(hostTokens.id));
}
