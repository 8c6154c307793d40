// The one barrel: drizzle needs the whole schema in one object.
export * from "./auth";
export * from "./gdpr";
export * from "./host-tokens";
export * from "./ledger";
export * from "./prov";
