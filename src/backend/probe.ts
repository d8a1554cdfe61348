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

/**
 * The backend `auto` will most likely pick, found without loading any (for the display
 * before the first trial reports the backend it really ran on).
 */
export async function expectedBackend(name: string): Promise<string> {
  if (name !== 'auto') return name;
  if (nativeBackendInstalled()) return 'tensorflow';
  const { nativeAddonPath } = await import('./native/addon.js');
  const { existsSync } = await import('node:fs');
  return existsSync(nativeAddonPath()) ? 'native' : 'wasm';
}
