/**
 * Registering enforcement points and checking their tokens (db/schema/enforcement.ts). Tokens
 * are built like portal sessions and host tokens: `<id>.<secret>`, 160 random bits each; only
 * the id and SHA-256 of the secret are stored, compared in constant time; a token is shown once.
 *
 * Every change is a DPO action and is appended to the ledger's legal log with who made it,
 * after the change commits (as in db/queries/processing.ts): a crash in between leaves a change
 * without its audit line, never an audit line for a change that did not happen.
 */
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { sql } from "drizzle-orm";
import { hashSecret, randomSecret } from "../auth/sessions";
import type { Store } from "../client";
import { appendLegalEvent } from "../ledger/log";
import { isoUtc } from "../queries/subject-choices";
import { currentRuleVersion } from "./rule-set";

/** A registration or revocation the store refuses, with the field at fault. */
export class EnforcementPointError extends Error {
  readonly code = "ENFORCEMENT_POINT";
  constructor(
    readonly field: "name" | "services" | "point",
    readonly reason: "taken" | "unknown" | "required",
    message: string,
  ) {
    super(message);
  }
}

export interface EnforcementPointInput {
  name: string;
  /** Names of the services it guards; at least one, each known. */
  services: string[];
  failClosedAfterSeconds: number | null;
}

export interface IssuedPointToken {
  id: number;
  name: string;
  /** Give this to the enforcement point; it is not stored anywhere. */
  token: string;
}

/** Who did it, as the legal log records them. */
export interface PointActor {
  email: string;
}

function newToken() {
  const tokenId = randomSecret();
  const secret = randomSecret();
  return { tokenId, secretHash: hashSecret(secret), token: `${tokenId}.${secret}` };
}

/** Registers a point guarding `services`; throws EnforcementPointError for a taken name etc. */
export async function registerEnforcementPoint(
  store: Store,
  input: EnforcementPointInput,
  actor: PointActor,
  at: Date = new Date(),
): Promise<IssuedPointToken> {
  const services = [...new Set(input.services)].sort();
  if (services.length === 0) {
    throw new EnforcementPointError("services", "required", "a point must guard a service");
  }
  const { tokenId, secretHash, token } = newToken();
  const id = await store.db.transaction(async (tx) => {
    const known = await store.rows<{ id: number; name: string }>(
      sql`select id, name from services where name in (${sql.join(
        services.map((name) => sql`${name}`),
        sql`, `,
      )})`,
      tx,
    );
    const missing = services.filter((name) => !known.some((row) => row.name === name));
    if (missing.length > 0) {
      throw new EnforcementPointError("services", "unknown", `unknown service ${missing[0]}`);
    }
    const [point] = await store.rows<{ id: number }>(
      sql`insert into enforcement_points
            (name, token_id, secret_hash, fail_closed_after_seconds, created_at, created_by)
          values (${input.name}, ${tokenId}, ${secretHash}, ${input.failClosedAfterSeconds},
                  ${at.toISOString()}, ${actor.email})
          on conflict (name) do nothing
          returning id`,
      tx,
    );
    if (!point) {
      throw new EnforcementPointError(
        "name",
        "taken",
        `an enforcement point named ${input.name} exists already`,
      );
    }
    await tx.execute(sql`
      insert into enforcement_point_services (point_id, service_id)
      select ${point.id}, id from services where name in (${sql.join(
        services.map((name) => sql`${name}`),
        sql`, `,
      )})`);
    return point.id;
  });
  await appendLegalEvent(
    store,
    {
      type: "dpo.enforcement-point.registered",
      actor: actor.email,
      details: {
        point: input.name,
        services,
        failClosedAfterSeconds: input.failClosedAfterSeconds,
        token: tokenId,
      },
    },
    at,
  );
  return { id, name: input.name, token };
}

/**
 * Gives a live point a new token; the old one stops working at once. For operators who lost a
 * token (and the demo, which cannot read back the token it issued last time).
 */
export async function rotateEnforcementPointToken(
  store: Store,
  name: string,
  actor: PointActor,
  at: Date = new Date(),
): Promise<IssuedPointToken> {
  const { tokenId, secretHash, token } = newToken();
  const [point] = await store.rows<{ id: number }>(sql`
    update enforcement_points set token_id = ${tokenId}, secret_hash = ${secretHash}
    where name = ${name} and revoked_at is null
    returning id`);
  if (!point) {
    throw new EnforcementPointError("point", "unknown", `no live enforcement point ${name}`);
  }
  await appendLegalEvent(
    store,
    {
      type: "dpo.enforcement-point.token-rotated",
      actor: actor.email,
      details: { point: name, token: tokenId },
    },
    at,
  );
  return { id: point.id, name, token };
}

/** Revokes a live point: its token stops working, its blocks no longer count it. */
export async function revokeEnforcementPoint(
  store: Store,
  pointId: number,
  actor: PointActor,
  at: Date = new Date(),
): Promise<void> {
  const [point] = await store.rows<{ name: string }>(sql`
    update enforcement_points set revoked_at = ${at.toISOString()}, revoked_by = ${actor.email}
    where id = ${pointId} and revoked_at is null
    returning name`);
  if (!point) {
    throw new EnforcementPointError("point", "unknown", `no live enforcement point ${pointId}`);
  }
  await appendLegalEvent(
    store,
    { type: "dpo.enforcement-point.revoked", actor: actor.email, details: { point: point.name } },
    at,
  );
}

/** The live point a token belongs to, or null if it is malformed, unknown, wrong or revoked. */
export async function authenticateEnforcementPoint(
  store: Store,
  token: string,
  now: Date = new Date(),
): Promise<{ id: number; name: string } | null> {
  const [tokenId, secret, extra] = token.split(".");
  if (!tokenId || !secret || extra !== undefined) return null;
  const [row] = await store.rows<{ id: number; name: string; secretHash: Uint8Array }>(sql`
    select id, name, secret_hash as "secretHash" from enforcement_points
    where token_id = ${tokenId} and revoked_at is null`);
  if (!row) return null;
  if (!constantTimeEqual(hashSecret(secret), new Uint8Array(row.secretHash))) return null;
  await store.rows(
    sql`update enforcement_points set last_seen_at = ${now.toISOString()} where id = ${row.id}`,
  );
  return { id: row.id, name: row.name };
}

export interface EnforcementPointRow {
  id: number;
  name: string;
  services: string[];
  failClosedAfterSeconds: number | null;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  appliedVersion: number | null;
  appliedAt: string | null;
  lastSeenAt: string | null;
}

/** Every point, live first (by name), then revoked; with the rule set's current version. */
export async function listEnforcementPoints(
  store: Store,
): Promise<{ version: number; points: EnforcementPointRow[] }> {
  const points = await store.rows<EnforcementPointRow>(sql`
    select p.id, p.name,
           coalesce((select array_agg(sv.name order by sv.name)
                     from enforcement_point_services ps join services sv on sv.id = ps.service_id
                     where ps.point_id = p.id), '{}') as services,
           p.fail_closed_after_seconds as "failClosedAfterSeconds",
           ${isoUtc("p.created_at")} as "createdAt", p.created_by as "createdBy",
           ${isoUtc("p.revoked_at")} as "revokedAt",
           p.applied_version::float8 as "appliedVersion",
           ${isoUtc("p.applied_at")} as "appliedAt", ${isoUtc("p.last_seen_at")} as "lastSeenAt"
    from enforcement_points p
    order by p.revoked_at is not null, lower(p.name), p.id`);
  return { version: await currentRuleVersion(store), points };
}
