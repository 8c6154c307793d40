/**
 * The demo organisation's enforcement points, running in the demo process through the same SDK
 * a real mailer or connector embeds (enforcement/sdk.ts), so a block made in the portal is
 * delivered, applied and acknowledged for real: the subject's page shows it counted.
 *
 * Registered once (as the DPO would, attributed to the demo seed); a token is shown only when
 * issued, so every start gives the demo's points a new one (recorded in the legal log too).
 */
import type { Store } from "../../db/client";
import { registerEnforcementPoint, rotateEnforcementPointToken } from "../../db/enforcement/points";
import { connectEnforcementPoint, type EnforcementPoint } from "../enforcement/sdk";
import type { Logger } from "../logger";
import { DEMO_SEED_ACTOR } from "./record-of-processing";

export const DEMO_ENFORCEMENT_POINTS = [
  { name: "Flack connector", services: ["Flack"], failClosedAfterSeconds: null },
  {
    name: "Newsletter mailer",
    services: ["Newsletter", "Mail delivery"],
    failClosedAfterSeconds: 15 * 60,
  },
] as const;

/** Registers the demo's points (or gives them new tokens) and connects each. */
export async function startDemoEnforcementPoints(
  store: Store,
  bridge: { httpUrl: string; mqttUrl: string },
  options: { topicPrefix: string; logger: Logger },
): Promise<EnforcementPoint[]> {
  const actor = { email: DEMO_SEED_ACTOR };
  const points: EnforcementPoint[] = [];
  try {
    for (const point of DEMO_ENFORCEMENT_POINTS) {
      const { token } = await registerEnforcementPoint(
        store,
        { ...point, services: [...point.services] },
        actor,
      ).catch(async (error: unknown) => {
        if ((error as { reason?: string }).reason !== "taken") throw error;
        return rotateEnforcementPointToken(store, point.name, actor);
      });
      points.push(
        await connectEnforcementPoint({
          bridgeUrl: bridge.httpUrl,
          token,
          mqttUrl: bridge.mqttUrl,
          topicPrefix: options.topicPrefix,
          onError: (error) =>
            options.logger.warn({ err: error, point: point.name }, "demo point: pull failed"),
          onRules: (rules) =>
            options.logger.info(
              { point: point.name, version: rules.version, rules: rules.rules.length },
              "demo point: rules applied",
            ),
        }),
      );
    }
  } catch (error) {
    for (const point of points) await point.close();
    throw new Error("couldn't start the demo's enforcement points", { cause: error });
  }
  return points;
}
