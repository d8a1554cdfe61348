/**
 * Which data a study trains on, recorded with the study when it is created and compared by
 * every run and resume, on any machine: the content fingerprint (data/fingerprint.ts), so a
 * machine may keep its copy of the data anywhere, but a machine with other data (or a
 * `--data` pointing at another file) is refused before it trains or writes anything, with
 * one message naming both sources. Without this, a study continued with other data would
 * silently mix trials trained on different sets.
 */
import { hostName } from '../core/host.js';
import { InputError } from '../core/errors.js';
import type { Storage, StudyRecord } from '../storage/types.js';

/** The study system attribute that holds it. */
export const DATA_IDENTITY_ATTR = 'data_identity';

export interface DataIdentity {
  readonly fingerprint: string;
  /** Where the data came from on the machine that recorded it (a path, or the synthetic set's description). */
  readonly source: string;
  /** The machine that recorded it. */
  readonly host: string;
}

export function dataIdentity(fingerprint: string, source: string): DataIdentity {
  return { fingerprint, source, host: hostName() };
}

function isDataIdentity(v: unknown): v is DataIdentity {
  const o = v as Partial<DataIdentity> | null;
  return typeof o?.fingerprint === 'string' && typeof o.source === 'string';
}

const short = (fingerprint: string): string => fingerprint.replace(/^sha256:/, '').slice(0, 12);

/**
 * Refuses (InputError, exit 2) data whose fingerprint differs from the study's; records
 * `mine` on a study that has none yet (created before fingerprints, or through the
 * library). Reads only, unless it records.
 */
export async function checkDataIdentity(storage: Storage, record: StudyRecord, mine: DataIdentity): Promise<void> {
  const stored = (await storage.getStudyAttrs(record.id)).system[DATA_IDENTITY_ATTR];
  if (!isDataIdentity(stored)) {
    await storage.setStudySystemAttr(record.id, DATA_IDENTITY_ATTR, mine);
    return;
  }
  if (stored.fingerprint === mine.fingerprint) return;
  throw new InputError(
    `${mine.source}: these data differ from those of study "${record.name}" (${stored.source} on ${stored.host}): fingerprint ${short(mine.fingerprint)}, not ${short(stored.fingerprint)}\n` +
      `give the study's data (any path) with --data, or name a new study with --study`,
  );
}
