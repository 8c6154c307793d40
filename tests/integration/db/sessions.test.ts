/** Lucia-style sessions against each backend: hashed at rest, validated in constant time, sliding. */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../../db/auth/passwords";
import {
  createSession,
  invalidateSession,
  SESSION_TTL_MS,
  validateSessionToken,
} from "../../../db/auth/sessions";
import { createAccount, findUserByEmail } from "../../../db/queries/users";
import { createTestStore, STORE_KINDS, type TestStore } from "../../setup/databases";

describe.each(STORE_KINDS)("sessions on %s", (kind) => {
  let t: TestStore;
  let userId: number;
  beforeAll(async () => {
    t = await createTestStore(kind);
    await createAccount(t.store, {
      email: " Carol@Example.org ",
      password: "correct horse battery staple",
      displayName: "Carol",
      role: "subject",
      subjectRef: "subj-carol",
    });
    const user = await findUserByEmail(t.store, "carol@example.org");
    if (!user) throw new Error("account not created");
    userId = user.id;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("stores the password as an argon2id hash that verifies only the right password", async () => {
    const user = await findUserByEmail(t.store, "CAROL@example.org");
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(user?.passwordHash ?? "", "correct horse battery staple")).toBe(
      true,
    );
    expect(await verifyPassword(user?.passwordHash ?? "", "Correct horse battery staple")).toBe(
      false,
    );
  });

  it("keeps only the id and a SHA-256 of the secret; the token validates, a forged one does not", async () => {
    const { token, session } = await createSession(t.store, userId);
    const [id, secret] = token.split(".");
    expect(session.id).toBe(id);
    const rows = await t.store.rows<{ id: string; secret_hash: Uint8Array }>(
      sql`select id, secret_hash from sessions where id = ${id ?? ""}`,
    );
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]?.secret_hash ?? []).length).toBe(32);
    expect(Buffer.from(rows[0]?.secret_hash ?? []).toString("utf8")).not.toContain(secret);

    const valid = await validateSessionToken(t.store, token);
    expect(valid?.user).toMatchObject({ id: userId, email: "carol@example.org", role: "subject" });
    expect(valid?.renewed).toBe(false);
    expect(await validateSessionToken(t.store, `${id}.${"a".repeat(32)}`)).toBeNull();
    expect(await validateSessionToken(t.store, `${id}`)).toBeNull();
    expect(await validateSessionToken(t.store, `${token}.extra`)).toBeNull();
    expect(await validateSessionToken(t.store, "nope.nope")).toBeNull();
  });

  it("slides a session used in the second half of its life, and deletes an expired one", async () => {
    const start = new Date("2026-01-01T00:00:00Z");
    const { token, session } = await createSession(t.store, userId, start);
    const early = new Date(start.getTime() + SESSION_TTL_MS / 4);
    expect((await validateSessionToken(t.store, token, early))?.renewed).toBe(false);
    const late = new Date(start.getTime() + (SESSION_TTL_MS * 3) / 4);
    const renewed = await validateSessionToken(t.store, token, late);
    expect(renewed?.renewed).toBe(true);
    expect(renewed?.session.expiresAt.getTime()).toBe(late.getTime() + SESSION_TTL_MS);
    const expired = new Date(late.getTime() + SESSION_TTL_MS + 1);
    expect(await validateSessionToken(t.store, token, expired)).toBeNull();
    const left = await t.store.rows(sql`select 1 from sessions where id = ${session.id}`);
    expect(left).toHaveLength(0);
  });

  it("ends a session on log-out", async () => {
    const { token, session } = await createSession(t.store, userId);
    await invalidateSession(t.store, session.id);
    expect(await validateSessionToken(t.store, token)).toBeNull();
  });
});
