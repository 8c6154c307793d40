import { customType } from "drizzle-orm/pg-core";

/** Raw bytes (`bytea`): postgres.js returns a Buffer, PGlite a Uint8Array; both are Uint8Arrays. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});
