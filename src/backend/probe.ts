import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Whether a native TensorFlow package is installed, found without loading it: the study
 * process must not load libtensorflow itself when its trials will (tfjs #8388).
 */
export function nativeBackendInstalled(): boolean {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      // not installed: try the next
    }
  }
  return false;
}
