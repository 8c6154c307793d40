/**
 * A simulated organisation's provenance traffic: the load generator for benchmarks and demos.
 * Deterministic: the same options give byte-identical messages in the same order.
 *
 * Hosts run services (sign-up, CRM, newsletter, analytics, billing, and a third-party payment
 * processor), round-robin over `hosts`. Each host is a CamFlow machine publishing, as camflowd
 * does (base64 of zlib JSON on `<prefix>/<machine id>`), W3C PROV-JSON documents of v0.5.5
 * shape: its machine agent, tasks that read and write files (every write a new object version,
 * with `version_entity` to the previous one, often in an earlier document), and sockets that
 * send packets to the hosts of downstream services. A packet's vertex id is built from header
 * fields only, so the receiving host later reports the same packet vertex (`receive_packet`):
 * that is what joins the hosts' graphs into one.
 *
 * Each service also publishes application-level PROV-JSON (plain JSON on `<prefix>/<host>`):
 * requests about one of `subjects` data subjects that use the record an upstream service holds
 * about that subject and generate the service's own record, derived from it. Records carry
 * `gdpr:subject`, `gdpr:category`, `gdpr:purpose` and `gdpr:service` (and `gdpr:organisation`),
 * so a subject's data visibly flows sign-up -> CRM -> newsletter, CRM -> billing -> processor.
 */
import {
  camflowDate,
  camflowId,
  camflowMqttPayload,
  camflowPacketId,
  createRandom,
  ipv4,
  type PacketHeader,
  type Random,
} from "./camflow-shape";

export interface SimulationOptions {
  seed: number;
  /** Capture hosts, each running one service (round-robin); at least 1. */
  hosts: number;
  /** Data subjects the applications handle. */
  subjects?: number;
  /** About this many elements per message (CamFlow messages; app messages are smaller). */
  elementsPerMessage?: number;
  /** Share of messages that are application-level, 0..1. */
  appShare?: number;
  /** Keeps the ids of runs with different tags apart (same seed and tag = same ids). */
  tag?: string;
  /** Simulated wall clock of the first message; advances 10 ms per message. */
  startMs?: number;
  /** zlib level of CamFlow payloads: camflowd's 6 by default; 1 costs a third of the CPU. */
  compressionLevel?: number;
}

export interface SimulatedMessage {
  /** Topic below the prefix: the CamFlow machine id, or the application's host name. */
  topicSuffix: string;
  /** The capture host the store will attribute it to (CamFlow: `cf:<machine id>`). */
  host: string;
  payload: Buffer;
  /** Distinct node and relation ids in the document. */
  elements: number;
  flavour: "camflow" | "app";
}

export interface Simulation {
  next(): SimulatedMessage;
  readonly hosts: readonly SimulatedHost[];
}

export interface SimulatedHost {
  name: string;
  service: ServiceSpec;
  machineId: number;
  ip: number;
}

export interface ServiceSpec {
  key: string;
  name: string;
  organisation: string;
  category: string;
  purpose: string;
  /** Services this one sends data to. */
  downstream: readonly string[];
  port: number;
  binary: string;
}

export const SERVICES: readonly ServiceSpec[] = [
  {
    key: "signup",
    name: "Sign-up",
    organisation: "Lumen Books",
    category: "email",
    purpose: "account",
    downstream: ["crm", "analytics"],
    port: 443,
    binary: "/usr/bin/signup-api",
  },
  {
    key: "crm",
    name: "CRM",
    organisation: "Lumen Books",
    category: "contact-details",
    purpose: "customer-relationship",
    downstream: ["newsletter", "billing"],
    port: 8443,
    binary: "/opt/crm/bin/crm-server",
  },
  {
    key: "newsletter",
    name: "Newsletter",
    organisation: "Lumen Books",
    category: "email",
    purpose: "marketing",
    downstream: ["analytics"],
    port: 2525,
    binary: "/usr/sbin/newsletter-mailer",
  },
  {
    key: "analytics",
    name: "Analytics",
    organisation: "Metrica",
    category: "usage-data",
    purpose: "analytics",
    downstream: [],
    port: 9000,
    binary: "/usr/bin/metrica-collector",
  },
  {
    key: "billing",
    name: "Billing",
    organisation: "Lumen Books",
    category: "payment-card",
    purpose: "payment",
    downstream: ["processor"],
    port: 8080,
    binary: "/opt/billing/billingd",
  },
  {
    key: "processor",
    name: "Card processing at PayCo",
    organisation: "PayCo",
    category: "payment-card",
    purpose: "payment",
    downstream: [],
    port: 443,
    binary: "/usr/local/bin/payco-gateway",
  },
];

const GDPR_NAMESPACE = "https://provtopia.example/ns/gdpr#";
const CAMFLOW_PREFIX = { prov: "http://www.w3.org/ns/prov", cf: "http://www.camflow.org" };
const STEP_MS = 10;
const REMEMBERED_FILES = 64;
const MAX_INBOX = 256;

// Type constants in the layout of camflow-dev's provenance_types.h (top bits: PROV class).
const VERTEX = {
  task: 0x4000000000000001n,
  file: 0x2000000000000100n,
  socket: 0x2000000000002000n,
  path: 0x2400000000400000n,
  packet: 0x2800000000000200n,
  machine: 0x1000000000000001n,
} as const;
const RELATION = {
  read: 0x8020000000000001n,
  open: 0x8020000000000040n,
  write: 0x8040000000000020n,
  clone: 0x8100000000000001n,
  ran_on: 0x8200000000000001n,
  version_entity: 0x8080000000000002n,
  named: 0x8080000000000001n,
  send_packet: 0x8080000000000400n,
  receive_packet: 0x8080000000000800n,
  receive: 0x8020000000000100n,
  send: 0x8040000000000200n,
} as const;

interface FileState {
  objectId: number;
  version: number;
  path: string;
}

interface HostState extends SimulatedHost {
  bootId: number;
  nextObjectId: number;
  nextRelationId: number;
  jiffies: number;
  files: FileState[];
  socket: { objectId: number; version: number };
  /** Packets other hosts sent here, reported by this host's next documents. */
  inbox: { id: string; vertex: Record<string, unknown> }[];
  nextRequest: number;
}

type Section = Record<string, Record<string, unknown>>;

/** Creates a simulation; `next()` yields its messages one by one, forever. */
export function createSimulation(options: SimulationOptions): Simulation {
  if (!Number.isInteger(options.hosts) || options.hosts < 1) {
    throw new RangeError(`expected at least 1 host, got ${options.hosts}`);
  }
  const random = createRandom(options.seed);
  const subjects = options.subjects ?? 5_000;
  const target = options.elementsPerMessage ?? 300;
  const appShare = options.appShare ?? 0.2;
  const tag = options.tag ?? `seed-${options.seed}`;
  const bootId = hashTag(`${tag}/${options.seed}`);
  const startMs = options.startMs ?? Date.UTC(2024, 4, 1, 9, 0, 0);
  const hosts: HostState[] = Array.from({ length: options.hosts }, (_, i) => {
    const service = SERVICES[i % SERVICES.length] as ServiceSpec;
    return {
      name: `${service.key}-${Math.floor(i / SERVICES.length) + 1}`,
      service,
      machineId: random.int(1, 0xffff_ffff),
      ip: (10 << 24) | (1 << 16) | (i + 10),
      bootId,
      nextObjectId: 100_000,
      nextRelationId: 1,
      jiffies: 4_295_000_000,
      files: [],
      socket: { objectId: 50_000, version: 0 },
      inbox: [],
      nextRequest: 1,
    };
  });
  const byService = new Map<string, HostState[]>();
  for (const host of hosts) {
    byService.set(host.service.key, [...(byService.get(host.service.key) ?? []), host]);
  }
  let sequence = 0;

  return {
    hosts,
    next() {
      const host = hosts[sequence % hosts.length] as HostState;
      const at = new Date(startMs + sequence * STEP_MS);
      sequence += 1;
      if (random.chance(appShare)) {
        const document = appDocument(random, host, byService, subjects, tag, at, target);
        return {
          topicSuffix: host.name,
          host: host.name,
          payload: Buffer.from(JSON.stringify(document.json), "utf8"),
          elements: document.elements,
          flavour: "app",
        };
      }
      const document = camflowDocument(random, host, byService, at, target);
      return {
        topicSuffix: String(host.machineId),
        host: `cf:${host.machineId}`,
        payload: camflowMqttPayload(document.json, options.compressionLevel),
        elements: document.elements,
        flavour: "camflow",
      };
    },
  };
}

function camflowDocument(
  random: Random,
  host: HostState,
  byService: Map<string, HostState[]>,
  at: Date,
  target: number,
): { json: unknown; elements: number } {
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
  const machine = `cf:${host.machineId}`;
  let count = 0;
  const vertexId = (type: keyof typeof VERTEX, objectId: number, version: number) =>
    camflowId(VERTEX[type], objectId, host.bootId, host.machineId, version);
  const common = (type: string, objectId: number, version: number) => {
    host.jiffies += random.int(1, 40);
    return {
      "cf:id": String(objectId),
      "prov:type": type,
      "cf:boot_id": host.bootId,
      "cf:machine_id": machine,
      "cf:version": version,
      "cf:date": date,
      "cf:taint": "0",
      "cf:jiffies": String(host.jiffies),
      "cf:epoch": 1,
    };
  };
  const addVertex = (section: "activity" | "agent" | "entity", id: string, body: object) => {
    if (!(id in sections[section])) count += 1;
    sections[section][id] = body as Record<string, unknown>;
  };
  const relate = (
    section: keyof typeof sections,
    name: keyof typeof RELATION,
    endpoints: Record<string, string>,
  ) => {
    const relationId = host.nextRelationId++;
    sections[section][camflowId(RELATION[name], relationId, host.bootId, host.machineId, null)] = {
      "cf:id": String(relationId),
      "prov:type": name,
      "cf:boot_id": host.bootId,
      "cf:machine_id": machine,
      "cf:date": date,
      "cf:jiffies": String(host.jiffies),
      "cf:epoch": 1,
      "prov:label": name,
      "cf:allowed": "true",
      ...endpoints,
      "cf:flags": "0",
    };
    count += 1;
  };
  const inode = (type: "file" | "socket", objectId: number, version: number, name?: string) => ({
    ...common(type, objectId, version),
    "cf:uid": 1000,
    "cf:gid": 1000,
    "cf:mode": type === "file" ? "0x81b4" : "0xc1ff",
    "cf:secctx": `system_u:object_r:${host.service.key}_t:s0`,
    "cf:ino": objectId,
    "cf:uuid": "e3a9f2df-aaed-46c8-9593-f0262d475eb7",
    ...(name ? { "cf:name": name } : {}),
    "prov:label": `[${type}] ${version}`,
  });
  const fileVertex = (file: FileState) => {
    const id = vertexId("file", file.objectId, file.version);
    addVertex("entity", id, inode("file", file.objectId, file.version, file.path));
    return id;
  };
  const socketVertex = () => {
    const { objectId, version } = host.socket;
    const id = vertexId("socket", objectId, version);
    addVertex("entity", id, inode("socket", objectId, version));
    return id;
  };
  /** A new version of the host's service socket, derived from the previous one. */
  const nextSocket = (task: string) => {
    const before = socketVertex();
    host.socket.version += 1;
    const after = socketVertex();
    relate("wasDerivedFrom", "version_entity", {
      "prov:usedEntity": before,
      "prov:generatedEntity": after,
    });
    relate("wasGeneratedBy", "send", { "prov:activity": task, "prov:entity": after });
    return after;
  };

  const agent = vertexId("machine", 5381, 1);
  addVertex("agent", agent, {
    ...common("machine", 5381, 1),
    "cf:u_sysname": "Linux",
    "cf:u_nodename": host.name,
    "cf:u_release": "6.1.0-camflow",
    "cf:k_version": "0.9.0",
    "cf:l_version": "0.5.5",
  });

  let previousTask: string | null = null;
  while (count < target) {
    const objectId = host.nextObjectId++;
    const pid = random.int(300, 65_000);
    const task = vertexId("task", objectId, 0);
    addVertex("activity", task, {
      ...common("task", objectId, 0),
      "cf:pid": pid,
      "cf:vpid": pid,
      "cf:utime": String(random.int(0, 90_000)),
      "cf:stime": String(random.int(0, 90_000)),
      "cf:vm": String(random.int(1_000_000, 20_000_000)),
      "cf:rss": String(random.int(1_000, 90_000)),
      "cf:rbytes": String(random.int(0, 1 << 20)),
      "cf:wbytes": String(random.int(0, 1 << 20)),
      "cf:name": host.service.binary,
      "prov:label": "[task] 0",
    });
    relate("wasAssociatedWith", "ran_on", { "prov:agent": agent, "prov:activity": task });
    if (previousTask) {
      relate("wasInformedBy", "clone", { "prov:informant": previousTask, "prov:informed": task });
    }
    previousTask = task;

    // Packets from upstream hosts arrive on the service socket and are read by the task.
    for (let n = random.int(0, 3); n > 0 && host.inbox.length > 0; n--) {
      const packet = host.inbox.shift() as HostState["inbox"][number];
      addVertex("entity", packet.id, packet.vertex);
      const socket = nextSocket(task);
      relate("wasDerivedFrom", "receive_packet", {
        "prov:usedEntity": packet.id,
        "prov:generatedEntity": socket,
      });
      relate("used", "receive", { "prov:entity": socket, "prov:activity": task });
    }

    for (let op = random.int(3, 8); op > 0; op--) {
      const reuse = host.files.length > 0 && random.chance(0.5);
      const file: FileState = reuse
        ? random.pick(host.files)
        : {
            objectId: host.nextObjectId++,
            version: 0,
            path: `/var/lib/${host.service.key}/${random.pick(["data", "cache", "spool", "log"])}/${random.int(0, 99_999)}`,
          };
      if (!reuse) {
        const pathObject = host.nextObjectId++;
        const pathId = vertexId("path", pathObject, 0);
        addVertex("entity", pathId, {
          ...common("path", pathObject, 0),
          "cf:pathname": file.path,
          "prov:label": `[path] ${file.path}`,
        });
        relate("wasDerivedFrom", "named", {
          "prov:usedEntity": pathId,
          "prov:generatedEntity": fileVertex(file),
        });
        host.files.push(file);
        if (host.files.length > REMEMBERED_FILES) host.files.shift();
      }
      if (random.chance(0.6)) {
        relate("used", random.pick(["read", "open"] as const), {
          "prov:entity": fileVertex(file),
          "prov:activity": task,
        });
      } else {
        // A write makes a new version; the old one may be in an earlier document.
        const before = vertexId("file", file.objectId, file.version);
        file.version += 1;
        const after = fileVertex(file);
        relate("wasDerivedFrom", "version_entity", {
          "prov:usedEntity": before,
          "prov:generatedEntity": after,
        });
        relate("wasGeneratedBy", "write", { "prov:activity": task, "prov:entity": after });
      }
    }

    // Send to a host of a downstream service: socket -> packet, the same packet id it will report.
    const downstream = host.service.downstream.flatMap((key) => byService.get(key) ?? []);
    if (downstream.length > 0 && random.chance(0.7)) {
      const receiver = random.pick(downstream);
      const header: PacketHeader = {
        ipId: random.int(1, 0xffff),
        senderIp: host.ip,
        receiverIp: receiver.ip,
        senderPort: random.int(32_768, 60_999),
        receiverPort: receiver.service.port,
        tcpSeq: random.int(0, 0xffff_ffff),
      };
      const packetId = camflowPacketId(VERTEX.packet, header);
      const sender = `${ipv4(header.senderIp)}:${header.senderPort}`;
      const to = `${ipv4(header.receiverIp)}:${header.receiverPort}`;
      const vertex = {
        "cf:id": header.ipId,
        "cf:seq": header.tcpSeq,
        "cf:sender": sender,
        "cf:receiver": to,
        "prov:type": "packet",
        "cf:taint": "0",
        "cf:jiffies": String(host.jiffies),
        "cf:len": random.int(60, 1_500),
        "prov:label": `[packet] ${sender}->${to} (${header.ipId})`,
      };
      addVertex("entity", packetId, vertex);
      const socket = nextSocket(task);
      relate("wasDerivedFrom", "send_packet", {
        "prov:usedEntity": socket,
        "prov:generatedEntity": packetId,
      });
      receiver.inbox.push({ id: packetId, vertex });
      if (receiver.inbox.length > MAX_INBOX) receiver.inbox.shift();
    }
  }
  const json = { prefix: CAMFLOW_PREFIX, ...nonEmpty(sections) };
  return { json, elements: count };
}

function appDocument(
  random: Random,
  host: HostState,
  byService: Map<string, HostState[]>,
  subjects: number,
  tag: string,
  at: Date,
  target: number,
): { json: unknown; elements: number } {
  const service = host.service;
  const upstream = SERVICES.filter((s) => s.downstream.includes(service.key));
  const owner = { "gdpr:service": service.name, "gdpr:organisation": service.organisation };
  const sections = {
    entity: {} as Section,
    activity: {} as Section,
    agent: {} as Section,
    used: {} as Section,
    wasGeneratedBy: {} as Section,
    wasDerivedFrom: {} as Section,
    wasAssociatedWith: {} as Section,
  };
  const agent = `app:${host.name}/agent`;
  sections.agent[agent] = {
    "prov:type": "prov:SoftwareAgent",
    "prov:label": service.name,
    ...owner,
  };
  let count = 1;
  let relation = 0;
  const relate = (section: keyof typeof sections, endpoints: Record<string, unknown>) => {
    sections[section][`app:${host.name}/r/${host.nextRequest}/${relation++}`] = endpoints;
    count += 1;
  };
  const record = (serviceKey: string, subject: string) => `app:record/${serviceKey}/${subject}`;
  // Several requests per message, each about one subject; a fifth of the message's target.
  const budget = Math.max(8, Math.floor(target / 5));
  while (count < budget) {
    const request = host.nextRequest++;
    relation = 0;
    const subject = `subject-${String(random.int(1, subjects)).padStart(6, "0")}`;
    const time = new Date(at.getTime() + random.int(0, 9)).toISOString();
    const activity = `app:${host.name}/request/${request}`;
    sections.activity[activity] = {
      "prov:type": "app:Request",
      "prov:label": `${service.name} request`,
      "prov:startTime": time,
      ...owner,
    };
    count += 1;
    relate("wasAssociatedWith", { "prov:activity": activity, "prov:agent": agent });
    const mine = record(service.key, subject);
    sections.entity[mine] = {
      "prov:type": "app:PersonalRecord",
      "prov:label": `${service.name} record of ${subject}`,
      "gdpr:subject": subject,
      "gdpr:category": service.category,
      "gdpr:purpose": service.purpose,
      ...owner,
    };
    count += 1;
    relate("wasGeneratedBy", { "prov:entity": mine, "prov:activity": activity, "prov:time": time });
    const from = upstream.length > 0 ? random.pick(upstream) : null;
    if (from && (byService.get(from.key)?.length ?? 0) > 0) {
      // The upstream service's record of this subject (stored by its own message, maybe later).
      const theirs = record(from.key, subject);
      relate("used", { "prov:activity": activity, "prov:entity": theirs, "prov:time": time });
      relate("wasDerivedFrom", { "prov:generatedEntity": mine, "prov:usedEntity": theirs });
    }
  }
  const json = {
    prefix: { app: `https://provtopia.example/sim/${tag}/`, gdpr: GDPR_NAMESPACE },
    ...nonEmpty(sections),
  };
  return { json, elements: count };
}

function nonEmpty(sections: Record<string, Section>): Record<string, Section> {
  return Object.fromEntries(Object.entries(sections).filter(([, s]) => Object.keys(s).length > 0));
}

/** FNV-1a, 32 bits: a stable boot id per tag. */
function hashTag(tag: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tag.length; i++) {
    hash ^= tag.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
