/**
 * A trial's checkpoint kept in the study's storage, so that any machine can continue the trial
 * from its last stored epoch (docs/storage.md, "Leases and artifacts"). This machine's
 * checkpoint folder of the trial is a cache of it.
 *
 * Keys, among the trial's artifacts (src/storage/types.ts); every one starts with `checkpoint`
 * (isCheckpointArtifact), so the sweep of finished trials (runner.ts) finds them all:
 * - a single-split trial: its epoch checkpoint under `checkpoint`;
 * - a cross-validated trial (src/worker/cross-validated.ts: one folder per fold, trained one
 *   after the other): the current fold f's epoch checkpoint under `checkpoint/fold-f`, and each
 *   finished fold's record under `checkpoint/fold-f/result` (its checkpoint is then deleted:
 *   the record is all a resumed trial reads of a finished fold).
 *
 * Order, so that a trial's stored epochs and its stored checkpoint agree after a crash at any
 * point: (1) the local file of epoch e, (2) the stored checkpoint of e, (3) the reported value
 * of e. A crash before (2) leaves the checkpoint of e-1 and e-1 reported: epoch e, never
 * recorded, is trained again (the same trajectory, so the same value). A crash between (2)
 * and (3) leaves checkpoint e with e-1 reported: the restored run reports epoch e again from
 * the checkpoint's history (train/loop.ts) without training it. After (3) both say e. So no
 * recorded epoch is trained twice and none is skipped. The opposite order would leave a
 * reported epoch e with the checkpoint of e-1 and train a recorded epoch again. For a
 * cross-validated trial the records of the folds before f are stored before fold f's first
 * checkpoint, so a stored fold checkpoint never lacks the folds it follows.
 */
import type { Lease } from '../storage/types.js';
import { readCheckpointBytes, writeCheckpointBytes } from '../train/checkpoint.js';
import { runCheckpointEpoch } from '../train/run-checkpoint.js';
import { foldDir, foldOfStep, readFoldRecordBytes, writeFoldRecordBytes } from '../worker/cross-validated.js';
import type { Study } from './study.js';

/** The key of a single-split trial's epoch checkpoint; the prefix of every checkpoint key. */
export const CHECKPOINT_ARTIFACT = 'checkpoint';

/** Whether an artifact key is part of a trial's stored checkpoint (and not, say, its kept model). */
export function isCheckpointArtifact(key: string): boolean {
  return key === CHECKPOINT_ARTIFACT || key.startsWith(`${CHECKPOINT_ARTIFACT}/`);
}

const foldCheckpointKey = (fold: number): string => `${CHECKPOINT_ARTIFACT}/fold-${fold}`;
const foldRecordKey = (fold: number): string => `${CHECKPOINT_ARTIFACT}/fold-${fold}/result`;
const FOLD_KEY = /^checkpoint\/fold-(\d+)(\/result)?$/;

export class StoredCheckpoint {
  /** Folds whose record the storage is known to hold (stored or restored by this object). */
  private readonly storedRecords = new Set<number>();

  /**
   * @param dir this machine's checkpoint folder of the trial (drive.ts, checkpointDirOf)
   * @param cvEpochs the epochs of each fold for a cross-validated trial, null for a single split
   */
  constructor(
    private readonly study: Study,
    private readonly trialId: number,
    private readonly dir: string,
    private readonly cvEpochs: number | null,
  ) {}

  /**
   * Brings the stored checkpoint into the local folder before the trial trains. The newer of
   * the two is kept: the local file may be one epoch ahead of the stored one when this machine
   * itself died between writing it and storing it, and either is a state of the same
   * trajectory (same params, seed and settings; the training loop refuses one of another
   * configuration).
   */
  async restore(): Promise<void> {
    if (this.cvEpochs === null) {
      await restoreNewer(await this.get(CHECKPOINT_ARTIFACT), this.dir, this.trialId);
      return;
    }
    const keys = (await this.study.storage.listTrialArtifacts(this.study.id)).filter((a) => a.trialId === this.trialId).map((a) => a.key);
    for (const key of keys) {
      const m = FOLD_KEY.exec(key);
      if (m === null) continue;
      const fold = Number(m[1]);
      const dir = foldDir(this.dir, fold);
      if (m[2] !== undefined) {
        const record = await this.get(key);
        if (record !== null && (await readFoldRecordBytes(dir)) === null) await writeFoldRecordBytes(dir, record);
        if (record !== null) this.storedRecords.add(fold);
      } else if ((await readFoldRecordBytes(dir)) === null) {
        await restoreNewer(await this.get(key), dir, this.trialId);
      }
    }
  }

  /**
   * Stores the checkpoint the trainer has just written for the reported `step` (the worker
   * writes it before it reports the step and waits for the answer, protocol.ts), under the
   * trial's lease.
   */
  async store(step: number, lease: Lease): Promise<void> {
    if (this.cvEpochs === null) {
      await this.storeFrom(this.dir, step, CHECKPOINT_ARTIFACT, lease);
      return;
    }
    const { fold, epoch } = foldOfStep(step, this.cvEpochs);
    for (let f = 0; f < fold; f++) {
      if (this.storedRecords.has(f)) continue;
      const record = await readFoldRecordBytes(foldDir(this.dir, f));
      if (record === null) throw new Error(`fold ${f} of the trial in ${this.dir} has no result, yet fold ${fold} is training`);
      await this.study.storage.putTrialArtifact(this.trialId, foldRecordKey(f), record, lease);
      this.storedRecords.add(f);
      await this.study.storage.deleteTrialArtifact(this.trialId, foldCheckpointKey(f));
    }
    await this.storeFrom(foldDir(this.dir, fold), epoch, foldCheckpointKey(fold), lease);
  }

  /** Deletes every stored part of the checkpoint (the trial finished). */
  async delete(): Promise<void> {
    const storage = this.study.storage;
    if (this.cvEpochs === null) {
      await storage.deleteTrialArtifact(this.trialId, CHECKPOINT_ARTIFACT);
      return;
    }
    const keys = (await storage.listTrialArtifacts(this.study.id)).filter((a) => a.trialId === this.trialId && isCheckpointArtifact(a.key));
    for (const a of keys) await storage.deleteTrialArtifact(this.trialId, a.key);
  }

  private get(key: string): Promise<Uint8Array | null> {
    return this.study.storage.getTrialArtifact(this.trialId, key);
  }

  private async storeFrom(dir: string, epoch: number, key: string, lease: Lease): Promise<void> {
    const bytes = await readCheckpointBytes(dir);
    // A trainer that keeps no checkpoint (the scheduler tests' scripted one) has none to store.
    if (bytes === null) return;
    const at = runCheckpointEpoch(bytes, dir);
    if (at !== epoch) throw new Error(`the checkpoint in ${dir} is of epoch ${at}, not of the epoch ${epoch} just reported`);
    await this.study.storage.putTrialArtifact(this.trialId, key, bytes, lease);
  }
}

async function restoreNewer(stored: Uint8Array | null, dir: string, trialId: number): Promise<void> {
  if (stored === null) return;
  const local = await readCheckpointBytes(dir);
  if (local !== null && runCheckpointEpoch(local, dir) >= runCheckpointEpoch(stored, `stored for trial id ${trialId}`)) return;
  await writeCheckpointBytes(dir, stored);
}
