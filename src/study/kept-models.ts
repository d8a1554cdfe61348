/**
 * Which trials keep their best weights: the study's top `keep_models` COMPLETE trials by the
 * leaderboard's ranking (storage/leaderboard.ts), each holding them as its 'model' artifact
 * in the study's storage, so that any machine sharing the storage can export them.
 */
import type { Storage } from '../storage/types.js';

/** The artifact key of a trial's kept weights (train/model-weights.ts format). */
export const MODEL_ARTIFACT = 'model';

/**
 * Keeps `weights` for the just-completed trial `trialId`, then deletes the weights of every
 * trial ranked below the top `keep` (nothing with 'all'). Only trials in the ranking read
 * here lose theirs: a trial that completes in another process meanwhile is not in it, and
 * its own process prunes after it has stored its weights, so no ranking ever deletes the
 * weights of a trial it did not see.
 */
export async function keepModel(storage: Storage, studyId: number, trialId: number, weights: Uint8Array, keep: number | 'all'): Promise<void> {
  if (keep === 'all') {
    await storage.putTrialArtifact(trialId, MODEL_ARTIFACT, weights);
    return;
  }
  const ranked = await storage.leaderboard(studyId);
  const top = new Set(ranked.slice(0, keep).map((r) => r.number));
  const rankedNumbers = new Set(ranked.map((r) => r.number));
  const self = await storage.getTrialById(trialId);
  if (self !== null && top.has(self.number)) await storage.putTrialArtifact(trialId, MODEL_ARTIFACT, weights);
  for (const a of await storage.listTrialArtifacts(studyId)) {
    if (a.key === MODEL_ARTIFACT && rankedNumbers.has(a.number) && !top.has(a.number)) await storage.deleteTrialArtifact(a.trialId, MODEL_ARTIFACT);
  }
}
