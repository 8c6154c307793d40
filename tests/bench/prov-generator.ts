/**
 * Deterministic PROV-JSON traffic for benchmarks: the same options give byte-identical
 * documents (seeded PRNG, fixed clock), so two runs measure the same work.
 *
 * Two flavours, mixed:
 * - CamFlow-shaped (v0.5.5 W3C output, see /work/shared/CAMFLOW.md §1): tasks that read and
 *   write files, `cf:<base64>` ids with the real 32-byte layout, one machine agent per host
 *   repeated in every document, `version_entity` edges to file versions of earlier documents
 *   and files read again across documents (so a share of vertices is not new). Sent as
 *   camflowd publishes over MQTT: base64 of zlib-deflated JSON.
 * - App-level: requests of a small organisation's services using a form that carries
 *   `gdpr:subject` / `gdpr:category` (a personal-data source), generating rows derived from it,
 *   every node tagged with `gdpr:service` / `gdpr:organisation`. Sent as plain JSON.
 *
 * Element ids are unique per `runTag`, so a warm-up run and a measured run never overlap.
 */
import { deflateSync } from "node:zlib";
import {
  camflowDate,
  camflowId,
  createRandom,
  type Random,
} from "../../capture-bridge/simulate/camflow-shape";

export { createRandom };

export type DocumentFlavour = "camflow" | "app";

export interface GeneratedDocument {
  flavour: DocumentFlavour;
  /** Capture host the message comes from (CamFlow documents also name it in `cf:machine_id`). */
  host: string;
  source: string;
  payload: Uint8Array;
  /** Distinct node and relation ids in the document. */
  elements: number;
}

export interface GeneratorOptions {
  seed: number;
  documents: number;
  /** Each document has between min and max elements (a few more, to finish the last task). */
  minElements: number;
  maxElements: number;
  /** Share of app-level documents, 0..1. */
  appShare: number;
  /** Keeps ids of runs with different tags apart. */
  runTag: string;
  /** CamFlow machines (capture hosts) the CamFlow-shaped documents come from; default 4. */
  machines?: number;
}

const START_MS = Date.UTC(2024, 4, 1, 9, 0, 0);
const MACHINES = 4;
const SUBJECTS = 5_000;
const CATEGORIES = [
  "email",
  "postal-address",
  "phone",
  "payment-card",
  "order-history",
  "ip-address",
];
const SERVICES = [
  { service: "Shop", organisation: "Lumen Books", host: "web-1" },
  { service: "CRM", organisation: "Lumen Books", host: "crm-1" },
  { service: "Newsletter", organisation: "Lumen Books", host: "mail-1" },
  { service: "Payments", organisation: "PayFlux", host: "pay-1" },
  { service: "Analytics", organisation: "Metrica", host: "stats-1" },
] as const;
const GDPR_NAMESPACE = "https://provtopia.example/ns/gdpr#";
const CAMFLOW_PREFIX = { prov: "http://www.w3.org/ns/prov", cf: "http://www.camflow.org" };

// Type constants in the layout of camflow-dev's provenance_types.h (top bits: PROV class).
const VERTEX_TYPE = {
  task: 0x4000000000000001n,
  file: 0x2000000000000100n,
  path: 0x2400000000400000n,
  machine: 0x1000000000000001n,
} as const;
const RELATION_TYPE = {
  read: 0x8020000000000001n,
  open: 0x8020000000000040n,
  mmap: 0x8020000000000400n,
  write: 0x8040000000000020n,
  inode_create: 0x8040000000000010n,
  clone: 0x8100000000000001n,
  ran_on: 0x8200000000000001n,
  version_entity: 0x8080000000000002n,
  named: 0x8080000000000001n,
} as const;
type RelationName = keyof typeof RELATION_TYPE;

interface FileState {
  objectId: number;
  version: number;
  path: string;
}

interface MachineState {
  machineId: number;
  bootId: number;
  nextObjectId: number;
  nextRelationId: number;
  jiffies: number;
  /** Recently touched files, read or written again by later documents. */
  files: FileState[];
}

/** Builds `options.documents` documents; pure apart from allocating. */
export function generateDocuments(options: GeneratorOptions): GeneratedDocument[] {
  const random = createRandom(options.seed);
  const bootId = hashTag(options.runTag);
  const machines: MachineState[] = Array.from({ length: options.machines ?? MACHINES }, () => ({
    machineId: random.int(1, 0xffff_ffff),
    bootId,
    nextObjectId: 100_000,
    nextRelationId: 1,
    jiffies: 4_295_000_000,
    files: [],
  }));
  const app = { nextRequest: 1, tag: options.runTag };
  const documents: GeneratedDocument[] = [];
  for (let i = 0; i < options.documents; i++) {
    const target = random.int(options.minElements, options.maxElements);
    const at = new Date(START_MS + i * 1_000);
    if (random.chance(options.appShare)) {
      const service = random.pick(SERVICES);
      const document = appDocument(random, app, service, target, at);
      documents.push({
        flavour: "app",
        host: service.host,
        source: `mqtt:apps/${service.host}`,
        payload: Buffer.from(JSON.stringify(document), "utf8"),
        elements: countElements(document),
      });
    } else {
      const machine = random.pick(machines);
      const document = camflowDocument(random, machine, target, at);
      const compressed = deflateSync(Buffer.from(JSON.stringify(document), "utf8"));
      documents.push({
        flavour: "camflow",
        host: `cf:${machine.machineId}`,
        source: `mqtt:camflow/provenance/${machine.machineId}`,
        payload: Buffer.from(compressed.toString("base64"), "ascii"),
        elements: countElements(document),
      });
    }
  }
  return documents;
}

type Section = Record<string, Record<string, unknown>>;
type Document = Record<string, unknown> & { prefix: Record<string, string> };

function camflowDocument(
  random: Random,
  machine: MachineState,
  target: number,
  at: Date,
): Document {
  const sections = {
    activity: {} as Section,
    agent: {} as Section,
    entity: {} as Section,
    used: {} as Section,
    wasGeneratedBy: {} as Section,
    wasInformedBy: {} as Section,
    wasAssociatedWith: {} as Section,
    wasDerivedFrom: {} as Section,
  };
  const date = camflowDate(at);
  const nodeCommon = (type: string, objectId: number, version: number) => {
    machine.jiffies += random.int(1, 40);
    return {
      "cf:id": String(objectId),
      "prov:type": type,
      "cf:boot_id": machine.bootId,
      "cf:machine_id": `cf:${machine.machineId}`,
      "cf:version": version,
      "cf:date": date,
      "cf:taint": "0",
      "cf:jiffies": String(machine.jiffies),
      "cf:epoch": 1,
    };
  };
  const nodeId = (type: keyof typeof VERTEX_TYPE, objectId: number, version: number) =>
    camflowId(VERTEX_TYPE[type], objectId, machine.bootId, machine.machineId, version);
  let count = 0;
  const relate = (
    section: keyof typeof sections,
    name: RelationName,
    endpoints: Record<string, string>,
  ) => {
    const relationId = machine.nextRelationId++;
    const id = camflowId(RELATION_TYPE[name], relationId, machine.bootId, machine.machineId, null);
    sections[section][id] = {
      "cf:id": String(relationId),
      "prov:type": name,
      "cf:boot_id": machine.bootId,
      "cf:machine_id": `cf:${machine.machineId}`,
      "cf:date": date,
      "cf:jiffies": String(machine.jiffies),
      "cf:epoch": 1,
      "prov:label": name,
      "cf:allowed": "true",
      ...endpoints,
      "cf:flags": "0",
    };
    count += 1;
  };
  const fileVertex = (file: FileState) => {
    const id = nodeId("file", file.objectId, file.version);
    if (!(id in sections.entity)) count += 1;
    sections.entity[id] = {
      ...nodeCommon("file", file.objectId, file.version),
      "cf:uid": 1000,
      "cf:gid": 1000,
      "cf:mode": "0x81b4",
      "cf:secctx": "unconfined_u:object_r:user_home_t:s0",
      "cf:ino": file.objectId,
      "cf:uuid": "e3a9f2df-aaed-46c8-9593-f0262d475eb7",
      "cf:name": file.path,
      "prov:label": `[file] ${file.version}`,
    };
    return id;
  };

  const machineAgent = nodeId("machine", 5381, 1);
  sections.agent[machineAgent] = {
    ...nodeCommon("machine", 5381, 1),
    "cf:u_sysname": "Linux",
    "cf:u_nodename": `node-${machine.machineId}`,
    "cf:u_release": "5.15.5",
    "cf:k_version": "0.9.0",
    "cf:l_version": "0.5.5",
  };
  count += 1;

  let previousTask: string | null = null;
  while (count < target) {
    const objectId = machine.nextObjectId++;
    const pid = random.int(300, 65_000);
    const task = nodeId("task", objectId, 0);
    sections.activity[task] = {
      ...nodeCommon("task", objectId, 0),
      "cf:pid": pid,
      "cf:vpid": pid,
      "cf:utime": String(random.int(0, 90_000)),
      "cf:stime": String(random.int(0, 90_000)),
      "cf:vm": String(random.int(1_000_000, 20_000_000)),
      "cf:rss": String(random.int(1_000, 90_000)),
      "cf:rbytes": String(random.int(0, 1 << 20)),
      "cf:wbytes": String(random.int(0, 1 << 20)),
      "prov:label": "[task] 0",
    };
    count += 1;
    relate("wasAssociatedWith", "ran_on", { "prov:agent": machineAgent, "prov:activity": task });
    if (previousTask) {
      relate("wasInformedBy", "clone", { "prov:informant": previousTask, "prov:informed": task });
    }
    previousTask = task;

    const operations = random.int(3, 8);
    for (let op = 0; op < operations; op++) {
      const reuse = machine.files.length > 0 && random.chance(0.4);
      const file: FileState = reuse
        ? random.pick(machine.files)
        : { objectId: machine.nextObjectId++, version: 0, path: randomPath(random) };
      if (!reuse) {
        const pathObject = machine.nextObjectId++;
        const pathId = nodeId("path", pathObject, 0);
        sections.entity[pathId] = {
          ...nodeCommon("path", pathObject, 0),
          "cf:pathname": file.path,
          "prov:label": `[path] ${file.path}`,
        };
        count += 1;
        const created = fileVertex(file);
        relate("wasDerivedFrom", "named", {
          "prov:usedEntity": pathId,
          "prov:generatedEntity": created,
        });
        remember(machine, file);
      }
      if (random.chance(0.6)) {
        const read = fileVertex(file);
        relate("used", random.pick(["read", "open", "mmap"] as const), {
          "prov:entity": read,
          "prov:activity": task,
        });
      } else {
        // A write makes a new version; the old one may be in an earlier document.
        const before = nodeId("file", file.objectId, file.version);
        file.version += 1;
        const after = fileVertex(file);
        relate("wasDerivedFrom", "version_entity", {
          "prov:usedEntity": before,
          "prov:generatedEntity": after,
        });
        relate("wasGeneratedBy", "write", { "prov:activity": task, "prov:entity": after });
      }
    }
  }
  return { prefix: CAMFLOW_PREFIX, ...nonEmpty(sections) };
}

function appDocument(
  random: Random,
  app: { nextRequest: number; tag: string },
  service: (typeof SERVICES)[number],
  target: number,
  at: Date,
): Document {
  const sections = {
    entity: {} as Section,
    activity: {} as Section,
    agent: {} as Section,
    used: {} as Section,
    wasGeneratedBy: {} as Section,
    wasDerivedFrom: {} as Section,
    wasAssociatedWith: {} as Section,
    wasInformedBy: {} as Section,
  };
  const owner = { "gdpr:service": service.service, "gdpr:organisation": service.organisation };
  const agent = "app:agent/service";
  sections.agent[agent] = {
    "prov:type": "prov:SoftwareAgent",
    "prov:label": service.service,
    ...owner,
  };
  let count = 1;
  let previousRequest: string | null = null;
  let request = 0;
  let relation = 0;
  const relate = (section: keyof typeof sections, endpoints: Record<string, unknown>) => {
    sections[section][`app:r/${request}/${relation++}`] = endpoints;
    count += 1;
  };
  while (count < target) {
    const n = app.nextRequest++;
    request = n;
    relation = 0;
    const time = new Date(at.getTime() + random.int(0, 999)).toISOString();
    const activity = `app:request/${n}`;
    sections.activity[activity] = {
      "prov:type": "app:HttpRequest",
      "prov:label": random.pick(["POST /signup", "POST /order", "PUT /profile", "POST /subscribe"]),
      "prov:startTime": time,
      ...owner,
    };
    count += 1;
    relate("wasAssociatedWith", { "prov:activity": activity, "prov:agent": agent });
    if (previousRequest) {
      relate("wasInformedBy", { "prov:informed": activity, "prov:informant": previousRequest });
    }
    previousRequest = activity;

    const input = `app:input/${n}`;
    const personal = random.chance(0.7);
    sections.entity[input] = {
      "prov:type": personal ? "app:FormSubmission" : "app:Event",
      "prov:label": personal ? "form submission" : "event",
      ...(personal
        ? {
            "gdpr:subject": `subj-${String(random.int(1, SUBJECTS)).padStart(5, "0")}`,
            "gdpr:category": random.pick(CATEGORIES),
            "gdpr:purpose": random.pick(["account", "order", "marketing"]),
          }
        : {}),
      ...owner,
    };
    count += 1;
    relate("used", { "prov:activity": activity, "prov:entity": input, "prov:time": time });
    const outputs = random.int(1, 3);
    for (let k = 0; k < outputs; k++) {
      const row = `app:row/${random.pick(["accounts", "orders", "events", "mailing"])}/${n}-${k}`;
      sections.entity[row] = {
        "prov:type": "app:DatabaseRow",
        "prov:label": `row ${n}-${k}`,
        ...owner,
      };
      count += 1;
      relate("wasGeneratedBy", {
        "prov:entity": row,
        "prov:activity": activity,
        "prov:time": time,
      });
      relate("wasDerivedFrom", { "prov:generatedEntity": row, "prov:usedEntity": input });
    }
  }
  const prefix = {
    app: `https://${service.host}.example/prov/${app.tag}/`,
    gdpr: GDPR_NAMESPACE,
  };
  return { prefix, ...nonEmpty(sections) };
}

const DIRECTORIES = ["/home/alice", "/home/bob", "/var/lib/app", "/tmp", "/etc", "/usr/lib"];
function randomPath(random: Random): string {
  return `${random.pick(DIRECTORIES)}/f${random.int(0, 99_999)}.${random.pick(["txt", "db", "so", "json"])}`;
}

const REMEMBERED_FILES = 200;
function remember(machine: MachineState, file: FileState): void {
  machine.files.push(file);
  if (machine.files.length > REMEMBERED_FILES) machine.files.shift();
}

function nonEmpty(sections: Record<string, Section>): Record<string, Section> {
  return Object.fromEntries(Object.entries(sections).filter(([, s]) => Object.keys(s).length > 0));
}

function countElements(document: Document): number {
  let count = 0;
  for (const [key, section] of Object.entries(document)) {
    if (key !== "prefix") count += Object.keys(section as object).length;
  }
  return count;
}

/** FNV-1a, 32 bits: a stable boot id per run tag. */
function hashTag(tag: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) {
    hash ^= tag.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
