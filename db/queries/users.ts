/** Accounts: created by the demo seed and by the DPO later; looked up at log-in. */
import { eq, sql } from "drizzle-orm";
import { hashPassword } from "../auth/passwords";
import type { Store } from "../client";
import { subjects, type User, users } from "../schema";

export interface NewAccount {
  email: string;
  password: string;
  displayName: string;
  role: "subject" | "dpo";
  /** The data subject's reference in provenance (`gdpr:subject`), for subject accounts. */
  subjectRef?: string;
}

/** Creates the account (and its subject row); does nothing if the email is taken. */
export async function createAccount(store: Store, account: NewAccount): Promise<void> {
  const passwordHash = await hashPassword(account.password);
  await store.db.transaction(async (tx) => {
    let subjectId: number | null = null;
    if (account.subjectRef) {
      await tx
        .insert(subjects)
        .values({ ref: account.subjectRef, displayName: account.displayName })
        .onConflictDoUpdate({ target: subjects.ref, set: { displayName: account.displayName } });
      const [subject] = await tx
        .select({ id: subjects.id })
        .from(subjects)
        .where(eq(subjects.ref, account.subjectRef));
      subjectId = subject?.id ?? null;
    }
    await tx
      .insert(users)
      .values({
        email: normaliseEmail(account.email),
        passwordHash,
        displayName: account.displayName,
        role: account.role,
        subjectId,
      })
      .onConflictDoNothing({ target: users.email });
  });
}

export async function findUserByEmail(store: Store, email: string): Promise<User | null> {
  const [user] = await store.db
    .select()
    .from(users)
    .where(sql`${users.email} = ${normaliseEmail(email)}`);
  return user ?? null;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
