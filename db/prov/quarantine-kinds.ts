/**
 * Why a message was quarantined, as a kind the portal can name in the reader's language; the
 * `reason` beside it is the reader's own message (English, technical, with the details).
 * Plain data without imports: the portal's pages (in the browser too) and the schema
 * (db/schema/prov.ts, enum `quarantine_kind`) share this one list.
 */
export const QUARANTINE_KINDS = [
  /** Larger than MAX_MESSAGE_BYTES: kept unread. */
  "too-large",
  /** Neither UTF-8 text nor base64 of zlib-compressed text. */
  "not-text",
  /** Text, but not JSON (nor CamFlow JSON that could be repaired). */
  "not-json",
  /** JSON without any PROV section the readers know. */
  "not-prov",
  /** PROV-JSON of the wrong shape: a value of the wrong type where a reader expects another. */
  "bad-prov",
  /** A SPADE JSON record of the wrong shape. */
  "bad-spade",
  /** A signed message that cannot be accepted: unknown key, bad signature, wrong host. */
  "bad-signature",
  /** An unsigned message from a host that signs its messages. */
  "unsigned",
  /** The store refused the data itself (SQLSTATE class 22, e.g. U+0000 in a string). */
  "store-rejected",
  /** Anything else (and rows whose reason no rule above recognised when kinds were added). */
  "other",
] as const;
export type QuarantineKind = (typeof QUARANTINE_KINDS)[number];
export const isQuarantineKind = (value: unknown): value is QuarantineKind =>
  (QUARANTINE_KINDS as readonly unknown[]).includes(value);
