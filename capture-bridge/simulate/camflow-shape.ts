/**
 * Building blocks for CamFlow-shaped test traffic (../shared/CAMFLOW.md §1): a seeded PRNG,
 * `cf:<base64>` identifiers in camflow-dev's 32-byte layout, and camflowd's date and MQTT
 * payload encodings. Pure; shared by the simulator and the benchmarks' generators.
 */
import { deflateSync } from "node:zlib";

/** mulberry32: tiny, fast, and good enough to shape test data. Same seed, same sequence. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    /** Requires min <= max; both inclusive. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    /** Requires a non-empty list. */
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}
export type Random = ReturnType<typeof createRandom>;

/** `cf:` + base64 of the 32-byte identifier; `version` null for relations (8 bytes padding). */
export function camflowId(
  type: bigint,
  objectId: number,
  bootId: number,
  machineId: number,
  version: number | null,
): string {
  const bytes = Buffer.alloc(32);
  bytes.writeBigUInt64LE(type, 0);
  bytes.writeBigUInt64LE(BigInt(objectId), 8);
  bytes.writeUInt32LE(bootId, 16);
  bytes.writeUInt32LE(machineId, 20);
  if (version !== null) bytes.writeUInt32LE(version, 24);
  return `cf:${bytes.toString("base64")}`;
}

export interface PacketHeader {
  ipId: number;
  senderIp: number;
  receiverIp: number;
  senderPort: number;
  receiverPort: number;
  tcpSeq: number;
}

/**
 * A packet's id: header fields only, no boot or machine id, so sender and receiver report the
 * same vertex (CAMFLOW.md §1.7): `u64 type | u16 ip_id | pad(2) | u32 snd_ip | u32 rcv_ip |
 * u16 snd_port | u16 rcv_port | u8 proto | pad(3) | u32 tcp_seq`.
 */
export function camflowPacketId(type: bigint, header: PacketHeader): string {
  const bytes = Buffer.alloc(32);
  bytes.writeBigUInt64LE(type, 0);
  bytes.writeUInt16LE(header.ipId, 8);
  bytes.writeUInt32BE(header.senderIp >>> 0, 12);
  bytes.writeUInt32BE(header.receiverIp >>> 0, 16);
  bytes.writeUInt16BE(header.senderPort, 20);
  bytes.writeUInt16BE(header.receiverPort, 22);
  bytes.writeUInt8(6, 24); // TCP
  bytes.writeUInt32LE(header.tcpSeq >>> 0, 28);
  return `cf:${bytes.toString("base64")}`;
}

/** camflowd's `cf:date`: UTC, second resolution, colons in the date part. */
export function camflowDate(at: Date): string {
  const iso = at.toISOString(); // 2024-05-01T09:00:00.000Z
  return `${iso.slice(0, 10).replaceAll("-", ":")}T${iso.slice(11, 19)}`;
}

/**
 * What camflowd publishes over MQTT: base64 of the zlib-compressed JSON. camflowd uses zlib's
 * default level (6); level 1 is the same format, about three times faster to produce, for load
 * generators that share the machine with what they measure.
 */
export function camflowMqttPayload(document: unknown, level = 6): Buffer {
  return Buffer.from(deflateSync(JSON.stringify(document), { level }).toString("base64"), "ascii");
}

export function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
