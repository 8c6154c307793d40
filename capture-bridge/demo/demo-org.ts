/**
 * The demo organisation's provenance, as the applications of a small fictional company would
 * report it in W3C PROV-JSON, one document per capture host, with `gdpr:` annotations on the
 * personal-data sources and `gdpr:service` / `gdpr:organisation` on what each service runs.
 *
 * Three scenarios:
 * - Newsletter (Lumen Books, an online bookshop): a subject's email address is collected at
 *   sign-up, copied into the CRM, used by the newsletter job, which has PostHaste (a mail
 *   processor) send the email. Bob signs up too but never gets past the CRM.
 * - Continuous integration, Fig. 2 of the Provtopia paper: Alice's commit is used by git (gitCo),
 *   which generates the repository the CI service (SquareCI) builds; its report is consumed by
 *   Flack (FlackCo).
 * - A nightly backup on the CRM host, reported without `gdpr:service` (as a system-level capture
 *   would): the DPO's mapping rules make it the "Backups" service.
 * - An erasure that did not hold: Carol signs up in September and reaches the CRM; she asks for
 *   erasure in November and the DPO answers "erased" (record-of-processing.ts seeds both); two
 *   weeks later a look-alike audience export still reads her CRM contact and sends it to
 *   AdReach. The DPO's Requests page and Carol's own page show it (db/queries/erasure.ts).
 */

export const DEMO_PREFIXES = {
  lumen: "https://lumen-books.example/prov/",
  ci: "https://ci.example/prov/",
  gdpr: "https://provtopia.example/ns/gdpr#",
} as const;

export interface DemoAccount {
  email: string;
  password: string;
  displayName: string;
  role: "subject" | "dpo";
  subjectRef?: string;
}

/** Printed by `npm start`; fixed so the README can name them. Demo only. */
export const DEMO_ACCOUNTS: DemoAccount[] = [
  {
    email: "alice@example.org",
    password: "alice-demo-pass",
    displayName: "Alice Martin",
    role: "subject",
    subjectRef: "subj-alice",
  },
  {
    email: "bob@example.org",
    password: "bob-demo-pass",
    displayName: "Bob Okafor",
    role: "subject",
    subjectRef: "subj-bob",
  },
  {
    email: "carol@example.org",
    password: "carol-demo-pass",
    displayName: "Carol Nguyen",
    role: "subject",
    subjectRef: "subj-carol",
  },
  {
    email: "dpo@lumen-books.example",
    password: "dpo-demo-pass",
    displayName: "Dana Weber (DPO)",
    role: "dpo",
  },
];

export interface DemoDocument {
  /** Capture host; the document is published to `<topic prefix>/<host>`. */
  host: string;
  document: Record<string, unknown>;
}

const LUMEN = { "gdpr:organisation": "Lumen Books" };
const svc = (service: string, organisation: Record<string, string> = LUMEN) => ({
  "gdpr:service": service,
  ...organisation,
});

type Person = "alice" | "bob" | "carol";

function signup(who: Person, at: string) {
  return {
    host: "web-1",
    document: {
      prefix: DEMO_PREFIXES,
      entity: {
        [`lumen:signup-form/${who}`]: {
          "prov:type": "lumen:FormSubmission",
          "prov:label": `Sign-up form (${who})`,
          "gdpr:subject": `subj-${who}`,
          "gdpr:category": "email",
          "gdpr:purpose": "account",
          "prov:generatedAtTime": at,
          ...svc("Sign-up"),
        },
        [`lumen:accounts-db/row/${who}`]: {
          "prov:type": "lumen:DatabaseRow",
          "prov:label": `accounts row (${who})`,
          ...svc("Sign-up"),
        },
      },
      activity: {
        [`lumen:signup-request/${who}`]: {
          "prov:type": "lumen:HttpRequest",
          "prov:label": "POST /signup",
          "prov:startTime": at,
          ...svc("Sign-up"),
        },
      },
      agent: { "lumen:org": { "prov:type": "prov:Organization", "prov:label": "Lumen Books" } },
      used: {
        [`lumen:u/signup/${who}`]: {
          "prov:activity": `lumen:signup-request/${who}`,
          "prov:entity": `lumen:signup-form/${who}`,
          "prov:time": at,
        },
      },
      wasGeneratedBy: {
        [`lumen:g/accounts/${who}`]: {
          "prov:entity": `lumen:accounts-db/row/${who}`,
          "prov:activity": `lumen:signup-request/${who}`,
          "prov:time": at,
        },
      },
      wasAssociatedWith: {
        [`lumen:a/signup/${who}`]: {
          "prov:activity": `lumen:signup-request/${who}`,
          "prov:agent": "lumen:org",
        },
      },
    },
  };
}

/**
 * A nightly backup on the CRM host, as a system-level capture reports it: no `gdpr:service`,
 * only the process and the file it wrote. The DPO's mapping rules decide that it is "Backups"
 * (capture-bridge/demo/record-of-processing.ts maps the process; the file is left for the DPO).
 */
const crmBackup = {
  activity: {
    "lumen:backup/2026-10-05": {
      "prov:type": "lumen:Process",
      "prov:label": "pg_dump",
      exe: "/usr/lib/postgresql/15/bin/pg_dump",
      comm: "pg_dump",
      "prov:startTime": "2026-10-05T02:00:00Z",
    },
  },
  entity: {
    "lumen:backups/crm-2026-10-05.sql": {
      "prov:type": "lumen:File",
      "prov:label": "CRM backup file",
      "cf:pathname": "/var/backups/crm-2026-10-05.sql",
    },
  },
  used: Object.fromEntries(
    (["alice", "bob"] as const).map((who) => [
      `lumen:u/backup/${who}`,
      {
        "prov:activity": "lumen:backup/2026-10-05",
        "prov:entity": `lumen:crm/contact/${who}`,
        "prov:time": "2026-10-05T02:00:00Z",
      },
    ]),
  ),
  wasGeneratedBy: {
    "lumen:g/backup": {
      "prov:entity": "lumen:backups/crm-2026-10-05.sql",
      "prov:activity": "lumen:backup/2026-10-05",
      "prov:time": "2026-10-05T02:01:00Z",
    },
  },
};

function crmSync(who: Person, at: string) {
  // The backup runs after the last sync; it travels in the same document as Bob's.
  const backup =
    who === "bob" ? crmBackup : { activity: {}, entity: {}, used: {}, wasGeneratedBy: {} };
  return {
    host: "crm-1",
    document: {
      prefix: DEMO_PREFIXES,
      activity: {
        [`lumen:crm-sync/${who}`]: {
          "prov:type": "lumen:Job",
          "prov:label": "nightly CRM sync",
          "prov:startTime": at,
          ...svc("CRM"),
        },
        ...backup.activity,
      },
      entity: {
        [`lumen:crm/contact/${who}`]: {
          "prov:type": "lumen:Contact",
          "prov:label": `CRM contact (${who})`,
          ...svc("CRM"),
        },
        ...backup.entity,
      },
      used: {
        [`lumen:u/crm/${who}`]: {
          "prov:activity": `lumen:crm-sync/${who}`,
          "prov:entity": `lumen:accounts-db/row/${who}`,
          "prov:time": at,
        },
        ...backup.used,
      },
      wasGeneratedBy: {
        [`lumen:g/crm/${who}`]: {
          "prov:entity": `lumen:crm/contact/${who}`,
          "prov:activity": `lumen:crm-sync/${who}`,
          "prov:time": at,
        },
        ...backup.wasGeneratedBy,
      },
    },
  };
}

const newsletter: DemoDocument = {
  host: "mail-1",
  document: {
    prefix: DEMO_PREFIXES,
    activity: {
      "lumen:newsletter-job/2026-11": {
        "prov:type": "lumen:Job",
        "prov:label": "November newsletter",
        "prov:startTime": "2026-11-02T08:00:00Z",
        ...svc("Newsletter"),
      },
      "lumen:mail-delivery/2026-11/alice": {
        "prov:type": "lumen:SmtpDelivery",
        "prov:label": "deliver newsletter",
        "prov:startTime": "2026-11-02T08:00:05Z",
        ...svc("Mail delivery", { "gdpr:organisation": "PostHaste Ltd" }),
      },
    },
    entity: {
      "lumen:email/2026-11/alice": {
        "prov:type": "lumen:EmailMessage",
        "prov:label": "newsletter email to alice",
        ...svc("Newsletter"),
      },
    },
    agent: {
      "lumen:posthaste": { "prov:type": "prov:Organization", "prov:label": "PostHaste Ltd" },
    },
    used: {
      "lumen:u/newsletter/alice": {
        "prov:activity": "lumen:newsletter-job/2026-11",
        "prov:entity": "lumen:crm/contact/alice",
        "prov:time": "2026-11-02T08:00:01Z",
      },
      "lumen:u/delivery/alice": {
        "prov:activity": "lumen:mail-delivery/2026-11/alice",
        "prov:entity": "lumen:email/2026-11/alice",
        "prov:time": "2026-11-02T08:00:05Z",
      },
    },
    wasGeneratedBy: {
      "lumen:g/email/alice": {
        "prov:entity": "lumen:email/2026-11/alice",
        "prov:activity": "lumen:newsletter-job/2026-11",
        "prov:time": "2026-11-02T08:00:02Z",
      },
    },
    wasAssociatedWith: {
      "lumen:a/delivery": {
        "prov:activity": "lumen:mail-delivery/2026-11/alice",
        "prov:agent": "lumen:posthaste",
      },
    },
  },
};

/** Fig. 2 of the Provtopia paper. */
const continuousIntegration: DemoDocument = {
  host: "ci-runner",
  document: {
    prefix: DEMO_PREFIXES,
    entity: {
      "ci:commit/4f2a9c1": {
        "prov:type": "ci:Commit",
        "prov:label": "commit 4f2a9c1 by Alice",
        "gdpr:subject": "subj-alice",
        "gdpr:category": "commit",
        "prov:generatedAtTime": "2026-11-10T14:01:30Z",
        ...svc("git", { "gdpr:organisation": "gitCo" }),
      },
      "ci:repository/provtopia@4f2a9c1": {
        "prov:type": "ci:Repository",
        "prov:label": "repository at 4f2a9c1",
        ...svc("git", { "gdpr:organisation": "gitCo" }),
      },
      "ci:report/run-311": {
        "prov:type": "ci:Report",
        "prov:label": "CI report #311",
        ...svc("CI", { "gdpr:organisation": "SquareCI" }),
      },
    },
    activity: {
      "ci:git/push-4f2a9c1": {
        "prov:type": "ci:Service",
        "prov:label": "git",
        "prov:startTime": "2026-11-10T14:02:00Z",
        ...svc("git", { "gdpr:organisation": "gitCo" }),
      },
      "ci:ci/run-311": {
        "prov:type": "ci:Service",
        "prov:label": "CI",
        "prov:startTime": "2026-11-10T14:02:10Z",
        ...svc("CI", { "gdpr:organisation": "SquareCI" }),
      },
      "ci:flack/notify-311": {
        "prov:type": "ci:Service",
        "prov:label": "Flack",
        "prov:startTime": "2026-11-10T14:06:40Z",
        ...svc("Flack", { "gdpr:organisation": "FlackCo" }),
      },
    },
    agent: {
      "ci:alice": { "prov:type": "prov:Person", "prov:label": "Alice" },
      "ci:gitCo": { "prov:type": "prov:Organization", "prov:label": "gitCo" },
      "ci:SquareCI": { "prov:type": "prov:Organization", "prov:label": "SquareCI" },
      "ci:FlackCo": { "prov:type": "prov:Organization", "prov:label": "FlackCo" },
    },
    used: {
      "ci:u/git-commit": {
        "prov:activity": "ci:git/push-4f2a9c1",
        "prov:entity": "ci:commit/4f2a9c1",
        "prov:time": "2026-11-10T14:02:00Z",
      },
      "ci:u/ci-repository": {
        "prov:activity": "ci:ci/run-311",
        "prov:entity": "ci:repository/provtopia@4f2a9c1",
        "prov:time": "2026-11-10T14:02:10Z",
      },
      "ci:u/flack-report": {
        "prov:activity": "ci:flack/notify-311",
        "prov:entity": "ci:report/run-311",
        "prov:time": "2026-11-10T14:06:40Z",
      },
    },
    wasGeneratedBy: {
      "ci:g/repository": {
        "prov:entity": "ci:repository/provtopia@4f2a9c1",
        "prov:activity": "ci:git/push-4f2a9c1",
        "prov:time": "2026-11-10T14:02:01Z",
      },
      "ci:g/report": {
        "prov:entity": "ci:report/run-311",
        "prov:activity": "ci:ci/run-311",
        "prov:time": "2026-11-10T14:06:30Z",
      },
    },
    wasAttributedTo: {
      "ci:at/commit": { "prov:entity": "ci:commit/4f2a9c1", "prov:agent": "ci:alice" },
    },
    wasAssociatedWith: {
      "ci:a/git": { "prov:activity": "ci:git/push-4f2a9c1", "prov:agent": "ci:gitCo" },
      "ci:a/ci": { "prov:activity": "ci:ci/run-311", "prov:agent": "ci:SquareCI" },
      "ci:a/flack": { "prov:activity": "ci:flack/notify-311", "prov:agent": "ci:FlackCo" },
    },
  },
};

/**
 * Two weeks after Carol's data was reported erased (record-of-processing.ts), a marketing job
 * on the CRM host still reads her CRM contact and hands it to AdReach's audience matching.
 */
export const CAROL_LATE_EXPORT_AT = "2026-11-20T03:00:00Z";
const lookalikeExport: DemoDocument = {
  host: "crm-1",
  document: {
    prefix: DEMO_PREFIXES,
    activity: {
      "lumen:lookalike-export/2026-11-20": {
        "prov:type": "lumen:Job",
        "prov:label": "look-alike audience upload",
        "prov:startTime": CAROL_LATE_EXPORT_AT,
        ...svc("Audience matching", { "gdpr:organisation": "AdReach Inc" }),
      },
    },
    agent: {
      "lumen:adreach": { "prov:type": "prov:Organization", "prov:label": "AdReach Inc" },
    },
    used: {
      "lumen:u/lookalike/carol": {
        "prov:activity": "lumen:lookalike-export/2026-11-20",
        "prov:entity": "lumen:crm/contact/carol",
        "prov:time": CAROL_LATE_EXPORT_AT,
      },
    },
    wasAssociatedWith: {
      "lumen:a/lookalike": {
        "prov:activity": "lumen:lookalike-export/2026-11-20",
        "prov:agent": "lumen:adreach",
      },
    },
  },
};

/** Every demo document, in the order a real day would produce them (order does not matter). */
export const DEMO_DOCUMENTS: DemoDocument[] = [
  signup("carol", "2026-09-14T11:05:00Z"),
  crmSync("carol", "2026-09-15T01:00:00Z"),
  signup("alice", "2026-10-01T09:30:00Z"),
  signup("bob", "2026-10-03T17:12:00Z"),
  crmSync("alice", "2026-10-02T01:00:00Z"),
  crmSync("bob", "2026-10-04T01:00:00Z"),
  newsletter,
  continuousIntegration,
  lookalikeExport,
];

/**
 * What goes wrong on a real day: messages the bridge cannot read, which land in quarantine with
 * their reason (the DPO's quarantine page shows them). An application's message cut off in the
 * middle of a subject's record, and bytes that are not UTF-8 from a misconfigured sender.
 */
export const DEMO_MALFORMED: { host: string; payload: Uint8Array }[] = [
  {
    host: "crm-1",
    payload: new TextEncoder().encode(
      `{"prefix":{"crm":"https://crm.lumen-books.example/ns#"},"entity":{"crm:contact-carol":{"gdpr:subject":"subj-carol","gdpr:category":"contact","crm:email":"carol@exa`,
    ),
  },
  {
    host: "web-1",
    payload: Uint8Array.from([
      0x7b, 0x22, 0x65, 0x6e, 0x74, 0x69, 0x74, 0x79, 0x22, 0x3a, 0xc3, 0x28, 0xff, 0xfe, 0x00,
      0x01, 0x7d,
    ]),
  },
];
