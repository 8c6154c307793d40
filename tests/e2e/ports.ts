/**
 * Where the e2e run serves the demo: away from `npm start`'s 3000/3001 so both can run at once.
 * E2E_PORT moves both (the bridge takes the next port), so two checkouts can run e2e at once.
 */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BRIDGE_PORT = E2E_PORT + 1;
/** The portal listens on 127.0.0.1 only; "localhost" could resolve to ::1 first. */
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
