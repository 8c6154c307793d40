// The one barrel: drizzle needs the whole schema in one object.
export * from "./auth";
export * from "./enforcement";
export * from "./flows";
export * from "./gdpr";
export * from "./host-tokens";
export * from "./labels";
export * from "./ledger";
export * from "./prov";
export * from "./requests";
