#!/usr/bin/env node
// `npx provtopia`: runs the TypeScript CLI through tsx's loader, so there is no build step.
import { register } from "tsx/esm/api";

register();
await import("../cli.ts");
