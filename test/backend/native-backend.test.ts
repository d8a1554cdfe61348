/**
 * The 'native' backend as a whole: where `auto` puts it, what happens when the addon is not
 * built (a quiet fall-back to wasm with the reason in `skipped`), that it has every kernel of
 * the cpu backend, that whole training steps of the benchmark model families give the cpu
 * backend's gradients, and that worker threads can each load the addon and compute at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs';

import { AUTO_ORDER, describeBackend, initBackend, releaseBackendMemory } from '../../src/backend/index.js';
import { loadNativeAddon, nativeAddonPath } from '../../src/backend/native/index.js';
import { HEADROOM, recyclerOf } from '../../src/backend/native/output-recycler.js';
import { buildModel } from '../../src/models/index.js';
import type { Params } from '../../src/core/search-space.js';
import { relativeError } from './helpers.js';

const load = loadNativeAddon();
const skip: string | false = load.ok ? false : `native addon unavailable: ${load.reason}`;
const backendUrl = new URL('../../src/backend/index.js', import.meta.url).href;

/** Runs an ES module snippet in a child process (own env), returning its last stdout line parsed as JSON. */
function child(script: string, env: NodeJS.ProcessEnv): { out: unknown; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const last = res.stdout.trim().split('\n').pop() ?? '';
  return { out: JSON.parse(last) as unknown, stdout: res.stdout, stderr: res.stderr };
}

describe('native backend selection', () => {
  it('auto tries tensorflow-gpu, tensorflow, native, wasm, cpu in that order', () => {
    assert.deepEqual(AUTO_ORDER, ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu']);
  });

  it("'auto' picks native when the addon is built; it is not 'native' in BackendInfo's libtensorflow sense", { skip }, async () => {
    const info = await initBackend('auto');
    assert.equal(info.name, 'native');
    assert.equal(tf.getBackend(), 'native');
    assert.equal(info.native, false);
    assert.equal(info.threads, 1);
    assert.deepEqual(info.skipped.map((s) => s.name), ['tensorflow-gpu', 'tensorflow']);
    assert.match(describeBackend(info), /^native 4\.\d+\.\d+\+(avx2-fma|generic) \(1 thread\)$/);
  });

  it('without a built addon: native is a one-line BackendUnavailableError, and auto quietly takes wasm', () => {
    const script = `const { initBackend, BackendUnavailableError } = await import(${JSON.stringify(backendUrl)});
      let explicit = null;
      try { await initBackend('native'); } catch (err) { explicit = { ok: err instanceof BackendUnavailableError, message: err.message }; }
      const auto = await initBackend('auto');
      console.log(JSON.stringify({ explicit, name: auto.name, skipped: auto.skipped }));`;
    const { out, stdout, stderr } = child(script, { HPSEARCH_NATIVE_ADDON: '/nonexistent/hpsearch_native.node' });
    const r = out as { explicit: { ok: boolean; message: string }; name: string; skipped: { name: string; reason: string }[] };
    assert.equal(r.explicit.ok, true);
    assert.match(r.explicit.message, /^backend 'native' is not available: the native kernels are not built \(\/nonexistent\/hpsearch_native\.node is missing/);
    assert.ok(!r.explicit.message.includes('\n'));
    assert.equal(r.name, 'wasm');
    assert.deepEqual(r.skipped.map((s) => s.name), ['tensorflow-gpu', 'tensorflow', 'native']);
    assert.match(r.skipped[2].reason, /not built/);
    // Nothing about the addon on the console: the install script already said it once.
    assert.ok(!/native/i.test(stdout.split('\n').slice(0, -2).join('\n') + stderr), `unexpected output: ${stdout}${stderr}`);
  });

  it('an addon file that is not a valid module is reported, not thrown', () => {
    const script = `const { initBackend } = await import(${JSON.stringify(backendUrl)});
      const auto = await initBackend('auto');
      console.log(JSON.stringify({ name: auto.name, reason: auto.skipped.find((s) => s.name === 'native')?.reason }));`;
    const dir = mkdtempSync(join(tmpdir(), 'hpsearch-native-'));
    const bad = join(dir, 'hpsearch_native.node');
    writeFileSync(bad, 'not a shared object');
    let out: unknown;
    try {
      out = child(script, { HPSEARCH_NATIVE_ADDON: bad }).out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = out as { name: string; reason: string };
    assert.equal(r.name, 'wasm');
    assert.match(r.reason, /^the native kernels failed to load: /);
  });

  it('the default addon path is native/build/Release of the package', () => {
    const saved = process.env['HPSEARCH_NATIVE_ADDON'];
    delete process.env['HPSEARCH_NATIVE_ADDON'];
    try {
      assert.match(nativeAddonPath(), /native\/build\/Release\/hpsearch_native\.node$/);
    } finally {
      if (saved !== undefined) process.env['HPSEARCH_NATIVE_ADDON'] = saved;
    }
  });

  it('registers every kernel of the cpu backend', { skip }, async () => {
    await initBackend('native');
    const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName);
    const native = new Set(tf.getKernelsForBackend('native').map((k) => k.kernelName));
    assert.deepEqual(
      cpu.filter((k) => !native.has(k)),
      [],
    );
  });
});

describe('native output-array recycling', { skip }, () => {
  it('never reuses an array that user code read with dataSync()', async () => {
    await initBackend('native');
    const x = tf.randomNormal([64, 11, 17, 8], 0, 1, 'float32', 3);
    const y = tf.relu(x);
    const seen = y.dataSync();
    const copy = Float32Array.from(seen);
    y.dispose();
    // Same-sized outputs that would take y's array if it had been recycled.
    const others = [tf.neg(x), tf.square(x), tf.abs(x)];
    assert.deepEqual(seen, copy);
    tf.dispose([x, ...others]);
  });

  it('never reuses the buffer under a view that another tensor still holds (cpu Slice)', async () => {
    await initBackend('native');
    const x = tf.randomNormal([16, 4096], 0, 1, 'float32', 4);
    const y = tf.relu(x);
    // A slice along the first axis is a subarray view of y's array on the cpu backend.
    const rows = tf.slice(y, [2, 0], [3, 4096]);
    const want = Float32Array.from(tf.relu(tf.slice(x, [2, 0], [3, 4096])).dataSync());
    y.dispose();
    const others = [tf.neg(x), tf.square(x), tf.abs(x)];
    assert.deepEqual(rows.dataSync(), want);
    tf.dispose([x, rows, ...others]);
  });

  it('reuses the arrays of a disposed step (no fresh allocation in steady state)', async () => {
    await initBackend('native');
    const recycler = recyclerOf(tf.backend());
    assert.ok(recycler !== undefined);
    const x = tf.randomNormal([32, 11, 17, 16], 0, 1, 'float32', 5);
    const step = (): void => tf.tidy(() => void tf.sum(tf.mul(tf.relu(tf.add(x, 1)), x)));
    step();
    const misses = recycler.misses;
    for (let i = 0; i < 5; i++) step();
    assert.equal(recycler.misses, misses);
    x.dispose();
  });

  /** A step that keeps every output alive until it ends, as a gradient tape does: 12 activations of [batch, 11, 17, 16]. */
  const tapeStep = (batch: number): void =>
    tf.tidy(() => {
      let y = tf.randomNormal([batch, 11, 17, 16], 0, 1, 'float32', batch);
      for (let i = 0; i < 6; i++) y = tf.relu(tf.add(y, 0.5));
      void tf.sum(y);
    });

  it('owns no more than twice what one step had live at once, whatever other batch sizes follow', async () => {
    await initBackend('native');
    const recycler = recyclerOf(tf.backend())!;
    releaseBackendMemory();
    tapeStep(64);
    const highWater = recycler.highWaterBytes;
    // The 12 activations of the step at least (the last batch's own are the most a step holds).
    assert.ok(highWater >= 12 * 64 * 11 * 17 * 16 * 4, `high-water mark ${highWater}`);
    assert.ok(recycler.bytes > 0, 'the step left its arrays for the next one');
    // 24 smaller batch sizes, each needing arrays of its own: a fixed cap kept them all (~20 steps' worth).
    for (let batch = 63; batch >= 40; batch--) {
      tapeStep(batch);
      assert.equal(recycler.highWaterBytes, highWater, `batch ${batch}`);
      assert.ok(recycler.bytes + recycler.live <= HEADROOM * highWater, `batch ${batch}: kept ${recycler.bytes} + live ${recycler.live} > ${HEADROOM} × ${highWater}`);
    }
  });

  it("a trial's end frees every kept array, and the next trial's steps size the pool afresh", async () => {
    await initBackend('native');
    const recycler = recyclerOf(tf.backend())!;
    tapeStep(64);
    const before = recycler.highWaterBytes;
    assert.ok(recycler.bytes > 0);
    releaseBackendMemory();
    assert.equal(recycler.bytes, 0);
    assert.equal(recycler.highWaterBytes, recycler.live);
    tapeStep(16);
    assert.ok(recycler.highWaterBytes < before / 2, `a quarter-sized step: ${recycler.highWaterBytes} of ${before}`);
    assert.ok(recycler.bytes + recycler.live <= HEADROOM * recycler.highWaterBytes);
  });
});

const INFO = { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] };

/** Loss and every gradient of one training step of a small model of `family`, on the active backend. */
function stepGradients(family: 'cnn2d' | 'cnngru' | 'cnn1d', seed: number): Float32Array[] {
  const params: Params =
    family === 'cnn2d'
      ? { hidden: 16, num_blocks: 1, num_layers: 2, dropout: 0 }
      : family === 'cnngru'
        ? { hidden: 16, num_blocks: 1, gru_hidden: 8, num_layers: 1, dropout: 0 }
        : { dropout: 0 };
  const info = family === 'cnn1d' ? { ...INFO, length: 48, channels: 2, numClasses: 3, multilabel: true, classes: ['a', 'b', 'c'] } : INFO;
  const built = buildModel(family, params, info, seed);
  try {
    return tf.tidy(() => {
      const x = tf.randomNormal([4, info.length, info.channels], 0, 1, 'float32', seed);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), info.numClasses).toFloat();
      const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const logits = built.model.apply(x, { training: true }) as tf.Tensor;
        return built.output === 'sigmoid' ? tf.losses.sigmoidCrossEntropy(y, logits) : tf.losses.softmaxCrossEntropy(y, logits);
      }, vars);
      return [value.dataSync(), ...vars.map((v) => grads[v.name].dataSync())].map((a) => Float32Array.from(a));
    });
  } finally {
    built.model.dispose();
  }
}

describe('native training steps', { skip }, () => {
  for (const family of ['cnn2d', 'cnngru', 'cnn1d'] as const) {
    it(`${family}: loss and every gradient match the cpu backend`, async () => {
      await initBackend('cpu');
      const cpu = stepGradients(family, 7);
      await initBackend('native');
      const native = stepGradients(family, 7);
      assert.equal(native.length, cpu.length);
      // Each gradient's error relative to its own scale, floored at 1e-3 of the largest gradient:
      // the bias of a conv followed by batch norm has a gradient that is zero up to rounding
      // (the norm removes it), whose "relative" error would compare rounding noise.
      const largest = Math.max(...cpu.slice(1).map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
      for (let i = 0; i < cpu.length; i++) {
        const err = relativeError(native[i], cpu[i], i === 0 ? 1e-12 : 1e-3 * largest);
        assert.ok(err < 1e-4, `${family}: ${i === 0 ? 'loss' : `gradient ${i - 1}`} relative error ${err}`);
      }
    });
  }
});

describe('native addon in worker threads', { skip }, () => {
  it('loads in several workers at once and gives each the same results', async () => {
    const addonUrl = new URL('../../src/backend/native/addon.js', import.meta.url).href;
    // Each worker multiplies and convolves seeded data many times and returns checksums.
    const source = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(addonUrl)}).then(({ loadNativeAddon }) => {
        const load = loadNativeAddon();
        if (!load.ok) throw new Error(load.reason);
        const a = load.addon;
        const fill = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s));
        const A = fill(300 * 200, 1), B = fill(200 * 70, 2), C = new Float32Array(300 * 70);
        const x = fill(4 * 11 * 17 * 16, 3), w = fill(3 * 3 * 16 * 24, 4), y = new Float32Array(4 * 11 * 17 * 24);
        const geom = Int32Array.of(4, 11, 17, 16, 11, 17, 24, 3, 3, 1, 1, 1, 1, 1, 1);
        let sum = 0;
        for (let r = 0; r < 40; r++) {
          a.sgemm(false, false, 300, 70, 200, 1, A, 200, B, 70, 0, C, 70);
          a.conv2d(x, w, y, geom, null, 1);
          sum += C[r * 7] + y[r * 11];
        }
        parentPort.postMessage(sum);
      });`;
    const run = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const worker = new Worker(source, { eval: true });
        worker.once('message', (m: number) => resolve(m));
        worker.once('error', reject);
      });
    const sums = await Promise.all([run(), run(), run()]);
    assert.ok(Number.isFinite(sums[0]));
    assert.deepEqual(sums, [sums[0], sums[0], sums[0]]);
  });
});
