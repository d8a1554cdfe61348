/**
 * What a study's data says about the signals a trained model expects, for the model card:
 * the sampling rate (when the source records one) and how the beats are scaled. hpsearch
 * itself normalises nothing: a model must be fed signals prepared as its training data were.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { DataSettings } from '../config/settings.js';
import { kaggleClassesByName } from './csv.js';
import { openHdf5 } from './hdf5/h5wasm.js';
import { SAMPLE_RATE_HZ } from './synthetic.js';

export interface SignalFormat {
  /** Hz, or null when the source does not say. */
  readonly samplingRateHz: number | null;
  /** How the values of a beat are scaled, in words. */
  readonly normalisation: string;
}

const KAGGLE_BEATS = 'none applied by hpsearch; beats as in the Kaggle heartbeat format (Kachuee et al. 2018): each 10-s window min-max scaled to [0, 1], one beat = R peak + 1.2 x median RR, zero-padded to the length';
const AS_STORED = 'none applied by hpsearch; feed signals scaled exactly as those of the training file';

/** The sampling rate and scaling of the study's training data (a missing file says nothing). */
export async function signalFormatOf(data: Pick<DataSettings, 'source'>): Promise<SignalFormat> {
  if (data.source === 'synthetic') return { samplingRateHz: SAMPLE_RATE_HZ, normalisation: KAGGLE_BEATS };
  const ext = extname(data.source).toLowerCase();
  if (ext === '.csv') {
    // The Kaggle sets are at 125 Hz; another CSV does not say.
    return kaggleClassesByName(data.source) ? { samplingRateHz: SAMPLE_RATE_HZ, normalisation: KAGGLE_BEATS } : { samplingRateHz: null, normalisation: AS_STORED };
  }
  if (!existsSync(data.source)) return { samplingRateHz: null, normalisation: AS_STORED };
  const h5 = await openHdf5(data.source);
  try {
    const attr = (name: string): string | null => (name in h5.attrs ? String(h5.get_attribute(name, true)) : null);
    const rate = Number(attr('sample_rate_hz'));
    const segmentation = attr('segmentation');
    return {
      samplingRateHz: Number.isFinite(rate) && rate > 0 ? rate : null,
      normalisation: segmentation !== null ? `none applied by hpsearch; the training beats were cut as: ${segmentation}` : attr('generator') !== null ? KAGGLE_BEATS : AS_STORED,
    };
  } finally {
    h5.close();
  }
}
