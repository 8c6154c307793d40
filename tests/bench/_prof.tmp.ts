import { openStore } from "../../db/client";
import { verifyLedger } from "../../db/ledger/verify";
const store = await openStore({ url: "postgres://postgres@127.0.0.1:5432/lvs_ledger_verify_speed" });
const workers = Number(process.env.WORKERS ?? 0);
for (let i = 0; i < 12; i++) {
  const c = process.cpuUsage(); const t = performance.now();
  const { report } = await verifyLedger(store, { workers });
  const u = process.cpuUsage(c);
  console.log(report.ok, report.leaves, Math.round(performance.now() - t), Math.round((u.user + u.system) / 1000));
}
await store.close();
process.exit(0);
