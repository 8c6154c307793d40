/**
 * When a relation happened, read from what its statement carries. Pure.
 *
 * Generic PROV orders flows by `prov:time` (and start/end times), which the parser keeps in
 * `ProvRelation.time`. CamFlow's `cf:date` is only the second at which camflowd flushed the
 * document (`YYYY:MM:DDTHH:MM:SS`, UTC): it says roughly when, for people and for judging
 * consent, but never orders anything; CamFlow is ordered by object versions instead.
 */
import type { ProvRelation } from "../prov/model";
import { plainString } from "../prov/model";

export interface RelationTime {
  at: Date;
  /** true: the time orders the flow (prov:time); false: informational only (cf:date). */
  orders: boolean;
}

const CAMFLOW_DATE = /^(\d{4}):(\d{2}):(\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;
/** A date and a time; a zone is optional (then UTC, as CamFlow and most producers mean). */
const ISO_DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date-time as a Date, or null when it is not one (never throws). */
export function parseIsoTime(text: string): Date | null {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, date, time, zone] = match;
  // JavaScript reads "+02:00" but not "+0200".
  const offset = zone && zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const at = new Date(`${date}T${time}${offset ?? "Z"}`);
  // Date rolls 2026-02-30 over into March: a date that does not exist is not a time.
  if (Number.isNaN(at.getTime())) return null;
  if (!zone && at.toISOString().slice(0, 10) !== date) return null;
  return at;
}

/** CamFlow's `cf:date` as a Date (UTC), or null. */
export function parseCamflowDate(text: string): Date | null {
  const match = CAMFLOW_DATE.exec(text.trim());
  if (!match) return parseIsoTime(text);
  const [, year, month, day, time] = match;
  return parseIsoTime(`${year}-${month}-${day}T${time}Z`);
}

/** The relation's time, or null when it has none (or none that reads as a time). */
export function relationTime(relation: ProvRelation): RelationTime | null {
  if (relation.time) {
    const at = parseIsoTime(relation.time);
    if (at) return { at, orders: true };
  }
  const date = plainString(relation.attributes["cf:date"]);
  const at = date ? parseCamflowDate(date) : null;
  return at ? { at, orders: false } : null;
}
