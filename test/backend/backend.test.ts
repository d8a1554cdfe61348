/** Backend selection: what `auto` picks on a machine without native TensorFlow, and the errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import {
  AUTO_ORDER,
  BackendUnavailableError,
  describeBackend,
  initBackend,
  registerWasmTrainingKernels,
} from '../../src/backend/index.js';

describe('initBackend', () => {
  it("'auto' skips both native TensorFlow backends here with a reason, and lands on wasm unless the native addon is built", async () => {
    const info = await initBackend('auto');
    assert.deepEqual(info.skipped.slice(0, 2).map((s) => s.name), ['tensorflow-gpu', 'tensorflow']);
    assert.match(info.skipped[1]?.reason ?? '', /@tensorflow\/tfjs-node is not installed/);
    // The C++ addon of the performance issue ('native') comes before wasm when it is built.
    const next = AUTO_ORDER.indexOf(info.name);
    assert.ok(next >= 2, `auto picked ${info.name}`);
    assert.deepEqual(info.skipped.map((s) => s.name), AUTO_ORDER.slice(0, next));
    assert.equal(tf.getBackend(), info.tfjsBackend);
    // wasm always loads here, so auto never falls through to the pure-JS cpu backend.
    assert.notEqual(info.name, 'cpu');
    assert.ok(info.skipped.every((s) => s.name !== 'wasm'));
  });

  it("'wasm' is SIMD, single-threaded, non-native", async () => {
    const info = await initBackend('wasm');
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(info.native, false);
    assert.equal(info.threads, 1);
    assert.equal(info.simd, true);
    assert.deepEqual(info.skipped, []);
    assert.match(describeBackend(info), /^wasm 4\.\d+\.\d+ \(SIMD, 1 thread\)$/);
  });

  for (const name of ['tensorflow', 'tensorflow-gpu'] as const) {
    it(`'${name}' is a one-line BackendUnavailableError here`, async () => {
      await assert.rejects(initBackend(name), (err: unknown) => {
        assert.ok(err instanceof BackendUnavailableError);
        assert.equal(err.backend, name);
        assert.equal(err.name, 'BackendUnavailableError');
        assert.match(err.message, new RegExp(`^backend '${name}' is not available: @tensorflow/tfjs-node${name === 'tensorflow-gpu' ? '-gpu' : ''} is not installed`));
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }

  it("'cpu' and 'wasm' can be switched between, and the wasm training kernels are registered once", async () => {
    const cpu = await initBackend('cpu');
    assert.deepEqual([cpu.name, cpu.native, tf.getBackend()], ['cpu', false, 'cpu']);
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      registerWasmTrainingKernels();
      const wasm = await initBackend('wasm');
      assert.equal(wasm.name, 'wasm');
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
    assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
  });

  it('loads the wasm binaries whatever the working directory', () => {
    // Both imports by absolute URL: the child runs in '/', where no node_modules can be found.
    const backendUrl = new URL('../../src/backend/index.js', import.meta.url).href;
    const tfUrl = import.meta.resolve('@tensorflow/tfjs');
    const script = `const { initBackend } = await import(${JSON.stringify(backendUrl)});
      const tf = await import(${JSON.stringify(tfUrl)});
      const info = await initBackend('wasm');
      console.log(JSON.stringify({ name: info.name, sum: tf.sum(tf.ones([3])).dataSync()[0] }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: '/', encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim().split('\n').pop() ?? ''), { name: 'wasm', sum: 3 });
  });
});
