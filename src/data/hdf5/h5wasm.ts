/**
 * The h5wasm module (the HDF5 C library compiled to WebAssembly; its `h5wasm/node` build reads
 * files straight from disk through Emscripten's NODERAWFS, so opening a file does not load it
 * into memory): loading it, opening a file read-only, and turning HDF5's error stack into the
 * one reason a `DataError` names.
 */
import h5wasm, { ready as h5ready, type File as H5File } from 'h5wasm/node';
import { DataError } from '../errors.js';
import { checkHdf5File } from './probe.js';

let loaded: Promise<void> | null = null;

/**
 * Waits for the h5wasm module and switches HDF5's error stack to the throwing handler, so that
 * a failed H5Fopen or read raises an exception instead of printing HDF5-DIAG to stderr and
 * returning an invalid id.
 */
export function loadH5wasm(): Promise<void> {
  loaded ??= h5ready.then((module) => {
    module.activate_throwing_error_handler();
  });
  return loaded;
}

/** The most specific message of an HDF5-DIAG error stack ("file signature not found", ...). */
export function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const frames = [...text.matchAll(/#\d+: .*? in ([A-Za-z0-9_]+)\(\): (.*)$/gm)];
  const last = frames.at(-1);
  if (last) return last[2]!.trim();
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first?.trim() ?? 'unknown HDF5 error';
}

/** Opens an existing HDF5 file read-only, with `checkHdf5File` first. */
export async function openHdf5(path: string): Promise<H5File> {
  await loadH5wasm();
  checkHdf5File(path);
  try {
    return new h5wasm.File(path, 'r');
  } catch (e) {
    throw new DataError(path, null, `cannot open HDF5 file: ${hdf5Reason(e)}`, { cause: e });
  }
}
