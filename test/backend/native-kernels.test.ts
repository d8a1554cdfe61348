/**
 * Every kernel of the 'native' backend against tfjs' cpu backend on seeded random inputs
 * (relative error < 1e-4): sgemm in all transpose/alpha/beta/leading-dimension combinations,
 * the convolutions and their gradients for the shapes and geometries the models use (3×3 on
 * 11×17 grids, 1×3/1×5/1×7 Conv1D as [N, 1, W, C], strides 1 and 2, 'same' and 'valid'),
 * matmuls, the element-wise ops in each broadcast mode, reductions, tile, batch norm and max
 * pooling. Skipped, with the reason, when the addon is not built.
 *
 * Channel counts stay small where the cpu backend is the reference: its conv backprops are
 * scalar JS loops that need seconds per 64-channel case. Both GEMM panel layouts are still
 * exercised (channels a multiple of 16 and not).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import { loadNativeAddon } from '../../src/backend/native/index.js';
import { randomTensor, randomValues, relativeError, runOnBackend } from './helpers.js';

const TOL = 1e-4;
const load = loadNativeAddon();
const skip: string | false = load.ok ? false : `native addon unavailable: ${load.reason}`;

/** Runs `f` on cpu, then on native. */
async function onCpuAndNative(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; native: Float32Array[] }> {
  const cpu = await runOnBackend('cpu', f);
  return { cpu, native: await runOnBackend('native', f) };
}

/**
 * Every (input pixel, output pixel, filter tap) of a stride-1 'same' 3×3 NHWC convolution:
 * calls `visit` with the input and output offsets of the pixels and the offset of the tap's
 * [C, OC] block in an HWIO filter, for float64 reference sums.
 */
function forEachSame3x3Tap(N: number, H: number, W: number, C: number, OC: number, visit: (xo: number, yo: number, tap: number) => void): void {
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < H; oy++)
      for (let ox = 0; ox < W; ox++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy + ky - 1;
            const ix = ox + kx - 1;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            visit(((n * H + iy) * W + ix) * C, ((n * H + oy) * W + ox) * OC, (ky * 3 + kx) * C * OC);
          }
}

/** relativeError, after checking that both sides have NaN in the same places (NaN must propagate). */
function relativeErrorNaN(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
  }
  const keep = (v: Float32Array): Float32Array => v.map((e) => (Number.isNaN(e) ? 0 : e));
  return relativeError(keep(a), keep(b));
}

async function assertSame(label: string, f: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<void> {
  const { cpu, native } = await onCpuAndNative(f);
  assert.equal(native.length, cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    assert.equal(native[i].length, cpu[i].length, `${label}: output ${i} length`);
    const err = relativeErrorNaN(native[i], cpu[i]);
    assert.ok(err < tol, `${label}: output ${i} relative error ${err}`);
  }
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

describe('native sgemm', { skip }, () => {
  it('matches a float64 product for every transpose, alpha, beta and padded leading dimension', () => {
    if (!load.ok) return;
    const { sgemm } = load.addon;
    let seed = 1;
    for (const [M, N, K] of [
      [1, 1, 1],
      [5, 17, 3],
      [7, 33, 64],
      [13, 16, 300],
      [150, 40, 260],
      [6, 16, 0],
    ]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 1],
            [-2, 0.3],
          ]) {
            const lda = (ta ? M : K) + 3;
            const ldb = (tb ? K : N) + 1;
            const ldc = N + 2;
            const A = randomValues((ta ? K : M) * lda, seed++);
            const B = randomValues((tb ? N : K) * ldb, seed++);
            const C = randomValues(M * ldc, seed++);
            const want = Float64Array.from(C);
            for (let i = 0; i < M; i++) {
              for (let j = 0; j < N; j++) {
                let s = 0;
                for (let k = 0; k < K; k++) s += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                want[i * ldc + j] = alpha * s + beta * C[i * ldc + j];
              }
            }
            sgemm(ta, tb, M, N, K, alpha, A, Math.max(lda, 1), B, Math.max(ldb, 1), beta, C, ldc);
            const err = relativeError(C, want);
            assert.ok(err < 1e-5, `M=${M} N=${N} K=${K} ta=${ta} tb=${tb} alpha=${alpha} beta=${beta}: ${err}`);
          }
        }
      }
    }
  });

  it('a prepacked B (hp::PackedB, for operands reused across products) gives the same bits', () => {
    if (!load.ok) return;
    const { sgemm, sgemmPrepacked } = load.addon;
    assert.ok(sgemmPrepacked !== undefined, 'the addon predates sgemmPrepacked');
    let seed = 500;
    for (const [M, N, K] of [
      [32, 768, 256],
      [7, 5000, 300],
      [13, 33, 0],
      [1, 17, 1000],
    ]) {
      for (const tb of [false, true]) {
        const A = randomValues(M * K, seed++);
        const B = randomValues(K * N, seed++);
        const C1 = randomValues(M * N, seed++);
        const C2 = Float32Array.from(C1);
        sgemm(false, tb, M, N, K, 0.5, A, Math.max(K, 1), B, tb ? Math.max(K, 1) : N, 0.25, C1, N);
        sgemmPrepacked(false, tb, M, N, K, 0.5, A, Math.max(K, 1), B, tb ? Math.max(K, 1) : N, 0.25, C2, N, 1);
        assert.deepEqual(C2, C1, `M=${M} N=${N} K=${K} transB=${tb}`);
      }
    }
  });

  it('the portable micro-kernel (HPSEARCH_NATIVE_GENERIC=1) gives the same products', () => {
    // A child process: the micro-kernel is chosen once per process.
    const addonUrl = new URL('../../src/backend/native/addon.js', import.meta.url).href;
    const script = `const { loadNativeAddon } = await import(${JSON.stringify(addonUrl)});
      const a = loadNativeAddon().addon;
      const r = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + s));
      let worst = 0;
      for (const [M, N, K, ta, tb] of [[37, 45, 29, false, false], [13, 70, 300, true, true], [150, 16, 7, false, true]]) {
        const A = r(M * K, 1), B = r(K * N, 2), C = new Float32Array(M * N);
        a.sgemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C, N);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += (ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
          worst = Math.max(worst, Math.abs(C[i * N + j] - s) / Math.max(1, Math.abs(s)));
        }
      }
      console.log(JSON.stringify({ kernel: a.sgemmKernel(), worst }));`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, HPSEARCH_NATIVE_GENERIC: '1' },
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as { kernel: string; worst: number };
    assert.equal(out.kernel, 'generic');
    assert.ok(out.worst < 1e-5, `relative error ${out.worst}`);
  });

  it('beta = 0 ignores NaN in C, and short operands are a RangeError', () => {
    if (!load.ok) return;
    const { sgemm } = load.addon;
    const C = new Float32Array(4).fill(Number.NaN);
    sgemm(false, false, 2, 2, 1, 1, Float32Array.of(1, 2), 1, Float32Array.of(3, 4), 2, 0, C, 2);
    assert.deepEqual([...C], [3, 4, 6, 8]);
    assert.throws(() => sgemm(false, false, 2, 2, 2, 1, new Float32Array(3), 2, new Float32Array(4), 2, 0, new Float32Array(4), 2), RangeError);
    assert.throws(() => sgemm(false, false, 2, 2, 2, 1, new Float64Array(4) as unknown as Float32Array, 2, new Float32Array(4), 2, 0, new Float32Array(4), 2), TypeError);
  });
});

type Pad = 'same' | 'valid';
interface ConvCase {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: number | [number, number];
  readonly pad: Pad;
  readonly dilations?: number;
}

const CONV_CASES: readonly ConvCase[] = [
  { name: 'cnn2d stem 3×3, 1→16 on 11×17', x: [3, 11, 17, 1], filter: [3, 3, 1, 16], strides: 1, pad: 'same' },
  { name: 'cnn2d block 3×3, 16→16 on 11×17', x: [3, 11, 17, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { name: '3×3, 20→12 (channels not a multiple of 16)', x: [2, 11, 17, 20], filter: [3, 3, 20, 12], strides: 1, pad: 'same' },
  { name: '3×3 valid, 8→24', x: [2, 9, 10, 8], filter: [3, 3, 8, 24], strides: 1, pad: 'valid' },
  { name: '3×3 Winograd path, 48→32', x: [2, 11, 17, 48], filter: [3, 3, 48, 32], strides: 1, pad: 'same' },
  { name: '3×3 Winograd path, valid, odd sizes, 16→24', x: [2, 9, 12, 16], filter: [3, 3, 16, 24], strides: 1, pad: 'valid' },
  { name: '3×3 Winograd path, image smaller than a tile (3×5), 16→16', x: [2, 3, 5, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { name: '3×3 stride 2 same, 16→8', x: [2, 11, 17, 16], filter: [3, 3, 16, 8], strides: 2, pad: 'same' },
  { name: '3×3 stride 2 valid, 6→10', x: [2, 12, 13, 6], filter: [3, 3, 6, 10], strides: 2, pad: 'valid' },
  { name: 'Conv1D k3 1→16 as [N,1,W,C]', x: [4, 1, 187, 1], filter: [1, 3, 1, 16], strides: 1, pad: 'same' },
  { name: 'Conv1D k3 16→16', x: [3, 1, 93, 16], filter: [1, 3, 16, 16], strides: 1, pad: 'same' },
  { name: 'Conv1D k7 3→16', x: [2, 1, 100, 3], filter: [1, 7, 3, 16], strides: 1, pad: 'same' },
  { name: 'Conv1D k5 16→32 stride 2', x: [2, 1, 50, 16], filter: [1, 5, 16, 32], strides: [1, 2], pad: 'same' },
  { name: 'Conv1D k3 32→16 valid', x: [2, 1, 40, 32], filter: [1, 3, 32, 16], strides: 1, pad: 'valid' },
];

describe('native convolutions', { skip }, () => {
  for (const c of CONV_CASES) {
    it(`forward, input and filter gradients: ${c.name}`, async () => {
      await assertSame(c.name, () => {
        const x = randomTensor(c.x, 11);
        const w = randomTensor(c.filter, 12);
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
        const dy = randomTensor(y.shape, 13);
        const dx = runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x });
        const dw = runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter });
        return [y, dx, dw];
      });
    });
  }

  // Both Winograd variants (F(4×4, 3×3), the default, and F(2×2, 3×3)): forward, input and filter
  // gradients against float64 direct sums, at the models' widths and batches.
  const WINOGRAD_CASES: readonly [number, number, number, number, number][] = [
    [2, 11, 17, 128, 128], // cnn2d-seed-best's width
    [16, 11, 17, 32, 48], // its batch
    [64, 11, 17, 16, 16], // cnn2d-small's batch
    [3, 7, 9, 16, 24], // sizes not a multiple of either tile
  ];
  for (const variant of ['4', '2']) {
    for (const [N, H, W, C, OC] of WINOGRAD_CASES) {
      it(`Winograd F(${variant}×${variant}, 3×3) at [${N}, ${H}, ${W}], ${C}→${OC}: all three products within 1e-5 of a float64 direct sum`, () => {
        if (!load.ok) return;
        const before = process.env['HPSEARCH_NATIVE_WINOGRAD'];
        process.env['HPSEARCH_NATIVE_WINOGRAD'] = variant;
        try {
          const geom = Int32Array.of(N, H, W, C, H, W, OC, 3, 3, 1, 1, 1, 1, 1, 1);
          const x = randomValues(N * H * W * C, 31);
          const w = randomValues(9 * C * OC, 32);
          const dy = randomValues(N * H * W * OC, 33);
          const y = new Float32Array(N * H * W * OC);
          const dx = new Float32Array(N * H * W * C);
          const dw = new Float32Array(9 * C * OC);
          load.addon.conv2d(x, w, y, geom, null, 0);
          load.addon.conv2dBackpropInput(dy, w, dx, geom);
          load.addon.conv2dBackpropFilter(x, dy, dw, geom);
          const wantY = new Float64Array(y.length);
          const wantDx = new Float64Array(dx.length);
          const wantDw = new Float64Array(dw.length);
          forEachSame3x3Tap(N, H, W, C, OC, (xo, yo, tap) => {
            for (let c = 0; c < C; c++) {
              const xv = x[xo + c];
              const wo = tap + c * OC;
              let gx = 0;
              for (let o = 0; o < OC; o++) {
                wantY[yo + o] += xv * w[wo + o];
                wantDw[wo + o] += xv * dy[yo + o];
                gx += dy[yo + o] * w[wo + o];
              }
              wantDx[xo + c] += gx;
            }
          });
          for (const [label, got, want] of [['forward', y, wantY], ['input gradient', dx, wantDx], ['filter gradient', dw, wantDw]] as const) {
            const err = relativeError(got, want);
            assert.ok(err < 1e-5, `${label}: relative error ${err}`);
          }
        } finally {
          if (before === undefined) delete process.env['HPSEARCH_NATIVE_WINOGRAD'];
          else process.env['HPSEARCH_NATIVE_WINOGRAD'] = before;
        }
      });
    }
  }

  it('dilated forward (3×3, dilation 2)', async () => {
    await assertSame('dilation 2', () => tf.conv2d(randomTensor([2, 11, 17, 5], 1) as tf.Tensor4D, randomTensor([3, 3, 5, 7], 2) as tf.Tensor4D, 1, 'same', 'NHWC', 2));
  });

  for (const activation of ['relu', 'linear', 'elu'] as const) {
    for (const withBias of [true, false]) {
      it(`FusedConv2D (${activation}, ${withBias ? 'bias' : 'no bias'}) and its gradients`, async () => {
        await assertSame(`fused ${activation}`, () => {
          const x = randomTensor([3, 11, 17, 16], 21);
          const w = randomTensor([3, 3, 16, 16], 22);
          const b = randomTensor([16], 23);
          const r = randomTensor([3, 11, 17, 16], 24);
          const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
            tf.sum(
              tf.mul(
                tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ww as tf.Tensor4D, strides: 1, pad: 'same', bias: withBias ? bb : undefined, activation }),
                r,
              ),
            );
          const y = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: withBias ? b : undefined, activation });
          return [y, ...(withBias ? tf.grads(loss)([x, w, b]) : tf.grads((xx: tf.Tensor, ww: tf.Tensor) => loss(xx, ww, b))([x, w]))];
        });
      });
    }
  }

  it('rejects a geometry that does not match the buffers', () => {
    if (!load.ok) return;
    const geom = Int32Array.of(1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1);
    assert.throws(() => load.addon.conv2d(new Float32Array(32), new Float32Array(54), new Float32Array(47), geom, null, 0), /y has 47 elements, the geometry needs 48/);
    assert.throws(() => load.addon.conv2d(new Float32Array(32), new Float32Array(54), new Float32Array(48), geom.subarray(1), null, 0), /geometry must have 15 entries/);
  });
});

describe('native matmul', { skip }, () => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb}, batched and broadcast`, async () => {
      await assertSame('matMul', () => {
        const a = randomTensor(ta ? [37, 29] : [29, 37], 31);
        const b = randomTensor(tb ? [45, 37] : [37, 45], 32);
        const a3 = randomTensor(ta ? [3, 37, 29] : [3, 29, 37], 33);
        const b1 = randomTensor(tb ? [1, 45, 37] : [1, 37, 45], 34);
        return [tf.matMul(a, b, ta, tb), tf.matMul(a3, b1, ta, tb)];
      });
    });
  }

  for (const activation of ['relu', 'linear', 'sigmoid'] as const) {
    it(`fused matMul with bias (${activation}) and its gradients`, async () => {
      await assertSame('fused matMul', () => {
        const a = randomTensor([16, 70], 41);
        const b = randomTensor([70, 33], 42);
        const bias = randomTensor([33], 43);
        const f = (aa: tf.Tensor, bb: tf.Tensor, cc: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(tf.fused.matMul({ a: aa as tf.Tensor2D, b: bb as tf.Tensor2D, bias: cc, activation }), randomTensor([16, 33], 44)));
        return [tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation }), ...tf.grads(f)([a, b, bias])];
      });
    });
  }
});

describe('native element-wise ops', { skip }, () => {
  const shapes: readonly [string, number[], number[]][] = [
    ['same shape', [4, 5, 6, 16], [4, 5, 6, 16]],
    ['scalar b', [4, 5, 6, 16], []],
    ['scalar a', [], [4, 5, 6, 16]],
    ['channel vector b', [4, 5, 6, 16], [16]],
    ['[1,1,1,C] a', [1, 1, 1, 16], [4, 5, 6, 16]],
    ['trailing [6, 16] b', [4, 5, 6, 16], [1, 6, 16]],
    ['row broadcast (cpu fallback)', [64, 5], [64, 1]],
  ];
  const { util } = tf;
  const ops: readonly [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
    ['squaredDifference', tf.squaredDifference],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
  ];
  for (const [name, op] of ops) {
    it(`${name} in every broadcast mode`, async () => {
      for (const [label, sa, sb] of shapes) {
        await assertSame(`${name} ${label}`, () => op(randomTensor(sa, 51), tf.add(randomTensor(sb, 52), name === 'div' ? 3 : 0)));
      }
    });
  }

  it('unary ops, with ReLU and Step keeping NaN', async () => {
    await assertSame('unary', () => {
      const x = tf.concat([randomTensor([1000], 61), tf.tensor1d([Number.NaN, 0, -0, 1e-30])]);
      const pos = tf.add(tf.abs(x), 0.5);
      return [tf.relu(x), tf.step(x, 0.25), tf.square(x), tf.neg(x), tf.sqrt(pos), tf.rsqrt(pos), tf.abs(x), tf.reciprocal(pos)];
    });
    await initBackend('native');
    const r = tf.relu(tf.tensor1d([Number.NaN, -1, 2])).dataSync();
    assert.ok(Number.isNaN(r[0]));
    assert.deepEqual([r[1], r[2]], [0, 2]);
  });

  it('comparisons in every broadcast mode, NaN compares false (not-equal true)', async () => {
    const cmp: readonly [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['greater', tf.greater],
      ['greaterEqual', tf.greaterEqual],
      ['less', tf.less],
      ['lessEqual', tf.lessEqual],
      ['equal', tf.equal],
      ['notEqual', tf.notEqual],
    ];
    for (const [name, op] of cmp) {
      for (const [label, sa, sb] of shapes) {
        await assertSame(`${name} ${label}`, () => {
          // Rounded values so that equality cases occur; one NaN.
          const a = tf.concat([tf.round(tf.mul(randomTensor([util.sizeFromShape(sa) - 1], 53), 2)), tf.tensor1d([Number.NaN])]).reshape(sa);
          return tf.cast(op(a, tf.round(tf.mul(randomTensor(sb, 54), 2))), 'float32');
        });
      }
    }
  });

  it('a dropout mask: greaterEqual on a uniform draw, cast and multiplied', async () => {
    await assertSame('dropout', () => {
      const x = randomTensor([8, 93, 32], 55);
      const u = tf.add(tf.mul(randomTensor([8, 93, 32], 56), 0.5), 0.5);
      return tf.mul(x, tf.mul(tf.cast(tf.greaterEqual(u, 0.4), 'float32'), 1 / 0.6));
    });
  });

  it('addN (gradient accumulation)', async () => {
    await assertSame('addN', () => tf.addN([randomTensor([7, 9], 71), randomTensor([7, 9], 72), randomTensor([7, 9], 73)]));
  });
});

describe('native reductions and tile', { skip }, () => {
  it('sum, mean and max over leading, trailing, middle, all and non-contiguous axes', async () => {
    const axesCases: readonly (number | number[] | undefined)[] = [[0, 1, 2], 3, [1, 2], undefined, [0, 2], -1, [0]];
    for (const axis of axesCases) {
      await assertSame(`axis ${JSON.stringify(axis)}`, () => {
        const x = randomTensor([6, 5, 7, 16], 81);
        return [tf.sum(x, axis), tf.mean(x, axis), tf.max(x, axis), tf.sum(x, axis, true), tf.mean(x, axis, true)];
      });
    }
  });

  it('sums a centred batch-norm sized activation as accurately as float64', async () => {
    // The per-channel sums are tiny against their 11,968 terms: float32 accumulation would drift,
    // the addon accumulates in double as the cpu kernel does. (Not compared with cpu: one ulp of
    // difference in the mean moves every centred term, and so this ill-conditioned sum.)
    await initBackend('native');
    const centred = tf.tidy(() => {
      const x = randomTensor([64, 11, 17, 64], 82);
      return tf.sub(x, tf.mean(x, [0, 1, 2]));
    });
    const got = tf.sum(centred, [0, 1, 2]);
    const v = centred.dataSync();
    const want = new Float64Array(64);
    for (let i = 0; i < v.length; i++) want[i % 64] += v[i];
    const err = relativeError(got.dataSync(), want);
    tf.dispose([centred, got]);
    assert.ok(err < 1e-4, `relative error ${err}`);
  });

  it('tile', async () => {
    await assertSame('tile', () => [tf.tile(randomTensor([1, 1, 1, 16], 91), [4, 5, 6, 1]), tf.tile(randomTensor([2, 3, 5], 92), [3, 1, 2])]);
  });
});

describe('native batch norm and pooling', { skip }, () => {
  it('FusedBatchNorm forward and its gradients (as the layers call it)', async () => {
    await assertSame('batchNorm', () => {
      const x = randomTensor([4, 11, 17, 16], 101);
      const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(xx, mean, variance, b, g, 1e-5), randomTensor(xx.shape, 104)));
      };
      const g = tf.add(randomTensor([16], 102), 1.5);
      const b = randomTensor([16], 103);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return [tf.batchNorm(x, mean, variance, b, g, 1e-5), ...tf.grads(f)([x, g, b])];
    });
  });

  for (const [label, shape, size, stride, pad] of [
    ['cnn2d 2×2/2 on 11×17', [4, 11, 17, 16], 2, 2, 'valid'],
    ['cnngru 1D pool as [N, L, 1, C]', [4, 187, 1, 16], [2, 1], [2, 1], 'valid'],
    ['3×3/2 same', [2, 9, 10, 5], 3, 2, 'same'],
  ] as [string, number[], number | [number, number], number | [number, number], 'same' | 'valid'][]) {
    it(`MaxPool and MaxPoolGrad: ${label}`, async () => {
      await assertSame(label, () => {
        // Rounded values: ties inside windows, and all-negative windows.
        const x = tf.round(tf.mul(randomTensor([...shape], 111), 3));
        const f = (xx: tf.Tensor): tf.Scalar => {
          const p = tf.maxPool(xx as tf.Tensor4D, size, stride, pad);
          return tf.sum(tf.mul(p, randomTensor(p.shape, 112)));
        };
        return [tf.maxPool(x as tf.Tensor4D, size, stride, pad), tf.grad(f)(x)];
      });
    });
  }
});
