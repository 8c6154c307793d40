import { customType } from "drizzle-orm/pg-core";

/** Raw bytes (`bytea`): postgres.js returns a Buffer, PGlite a Uint8Array; both are Uint8Arrays. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

/**
 * An element's external id: text in the "C" collation (README decision 38). The database's
 * C.UTF-8 compares through strcoll, which made every btree insert and probe on these ids several
 * times dearer than a byte comparison; C.UTF-8 orders by code point, which for UTF-8 is byte
 * order, so "C" sorts and compares them the same, only faster. Every column joined to an element
 * id is declared with this type, so joins between them compare in "C" and use their btrees.
 */
export const elementId = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});
