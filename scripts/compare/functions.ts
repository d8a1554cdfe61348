/**
 * The test functions of the sampler comparison (`scripts/compare/samplers.ts`), each with
 * its search space in the library's object form (`createStudy({ space })`) and its known
 * minimum, so that a result is a regret: f(best) - f*.
 *
 * They are defined once, here. Optuna is only ever told values computed by these functions
 * (scripts/compare/optuna-tpe.py asks and tells), so both sides are scored by the same code.
 */
import type { SpaceInput } from '../../src/config/api.js';
import type { Params } from '../../src/core/search-space.js';

export interface Evaluation {
  /** What the sampler is told. */
  readonly observed: number;
  /** The noiseless value, which the regret is measured on (equal to `observed` unless noisy). */
  readonly truth: number;
}

export interface TestFunction {
  readonly name: string;
  readonly description: string;
  readonly space: SpaceInput;
  /** The global minimum of the noiseless function over the space. */
  readonly minimum: number;
  /** `seed` and `trial` make the noise of a noisy function reproducible and the same for every sampler. */
  readonly evaluate: (p: Params, seed: number, trial: number) => Evaluation;
}

type NumericInput = { readonly type: 'float' | 'int'; readonly low: number; readonly high: number; readonly log?: boolean; readonly step?: number };

function vector(prefix: string, d: number, param: NumericInput): SpaceInput {
  return Object.fromEntries(Array.from({ length: d }, (_, i) => [`${prefix}${i}`, param]));
}
const values = (p: Params, prefix: string, d: number): number[] => Array.from({ length: d }, (_, i) => p[`${prefix}${i}`] as number);
const exact = (f: (p: Params) => number) => (p: Params): Evaluation => {
  const v = f(p);
  return { observed: v, truth: v };
};

function branin(p: Params): number {
  const x = p.x0 as number;
  const y = p.x1 as number;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
}

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

function hartmann6(p: Params): number {
  const x = values(p, 'x', 6);
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * (x[j]! - H6_P[i]![j]!) ** 2;
    s += H6_ALPHA[i]! * Math.exp(-inner);
  }
  return -s;
}

function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

function levy(x: readonly number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  let s = Math.sin(Math.PI * w[0]!) ** 2;
  for (let i = 0; i < d - 1; i++) s += (w[i]! - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * w[i]! + 1) ** 2);
  s += (w[d - 1]! - 1) ** 2 * (1 + Math.sin(2 * Math.PI * w[d - 1]!) ** 2);
  return s;
}

function ackley(x: readonly number[]): number {
  const d = x.length;
  const sq = x.reduce((s, v) => s + v * v, 0) / d;
  const cos = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / d;
  return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cos) + 20 + Math.E;
}

/**
 * A standard normal draw fixed by (seed, trial): the noise of trial t of seed s is the same
 * for every sampler, so noisy runs differ only by where the samplers went.
 */
function noise(seed: number, trial: number): number {
  let h = Math.imul(seed + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(trial + 0x7f4a7c15, 0xc2b2ae35);
  const next = () => {
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h ^= h >>> 16;
    return ((h >>> 0) + 0.5) / 4294967296;
  };
  return Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

/** A function of d floats in [low, high] named x0..x(d-1), with its minimum at 0. */
function continuous(name: string, label: string, d: number, low: number, high: number, f: (x: readonly number[]) => number): TestFunction {
  return {
    name,
    description: `${label}, ${d} floats in [${low}, ${high}]`,
    space: vector('x', d, { type: 'float', low, high }),
    minimum: 0,
    evaluate: exact((p) => f(values(p, 'x', d))),
  };
}

const HARTMANN6_MIN = -3.322368011415515;

export const FUNCTIONS: readonly TestFunction[] = [
  {
    name: 'branin-2d',
    description: 'Branin, x0 in [-5, 10], x1 in [0, 15]',
    space: { x0: { type: 'float', low: -5, high: 10 }, x1: { type: 'float', low: 0, high: 15 } },
    minimum: 0.39788735772973816,
    evaluate: exact(branin),
  },
  {
    name: 'hartmann6-6d',
    description: 'Hartmann 6, floats in [0, 1]',
    space: vector('x', 6, { type: 'float', low: 0, high: 1 }),
    minimum: HARTMANN6_MIN,
    evaluate: exact(hartmann6),
  },
  continuous('rosenbrock-4d', 'Rosenbrock', 4, -2, 2, rosenbrock),
  continuous('levy-10d', 'Levy', 10, -10, 10, levy),
  continuous('ackley-5d', 'Ackley', 5, -32.768, 32.768, ackley),
  {
    name: 'grid-6d',
    description: 'shifted sphere on grids: 3 ints in [-10, 10], 3 floats step 0.5 in [-5, 5]',
    space: { ...vector('i', 3, { type: 'int', low: -10, high: 10 }), ...vector('q', 3, { type: 'float', low: -5, high: 5, step: 0.5 }) },
    minimum: 0,
    evaluate: exact((p) => {
      const i = values(p, 'i', 3);
      const q = values(p, 'q', 3);
      return (i[0]! - 3) ** 2 + (i[1]! + 7) ** 2 + i[2]! ** 2 + 4 * ((q[0]! - 1.5) ** 2 + (q[1]! + 2.5) ** 2 + (q[2]! - 4) ** 2);
    }),
  },
  {
    name: 'log-5d',
    description: '3 log floats (1e-6..1, 1e-3..1e3, 1e-4..10), 2 log ints (1..4096, step-1 in 2..512)',
    space: {
      lr: { type: 'float', low: 1e-6, high: 1, log: true },
      c: { type: 'float', low: 1e-3, high: 1e3, log: true },
      wd: { type: 'float', low: 1e-4, high: 10, log: true },
      units: { type: 'int', low: 1, high: 4096, log: true },
      width: { type: 'int', low: 2, high: 512, log: true },
    },
    minimum: 0,
    evaluate: exact((p) => {
      const lr = Math.log10(p.lr as number) + 3.3;
      const c = Math.log10(p.c as number) - 1.2;
      const wd = Math.log10(p.wd as number) + 2.5;
      return lr * lr + 0.5 * c * c + wd * wd + lr * c + 0.3 * (Math.log2(p.units as number) - 7) ** 2 + 0.2 * (Math.log2(p.width as number) - 5) ** 2;
    }),
  },
  {
    name: 'categorical-6d',
    description: '4 categoricals (3 to 8 choices, with interactions) and 2 floats in [0, 1]',
    space: {
      a: { type: 'categorical', choices: ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'] },
      b: { type: 'categorical', choices: ['b0', 'b1', 'b2'] },
      c: { type: 'categorical', choices: [16, 32, 64, 128, 256] },
      d: { type: 'categorical', choices: [true, false] },
      u: { type: 'float', low: 0, high: 1 },
      v: { type: 'float', low: 0, high: 1 },
    },
    minimum: 0,
    evaluate: exact((p) => {
      const a: Record<string, number> = { a0: 1.2, a1: 0.8, a2: 1.5, a3: 0.3, a4: 1.0, a5: 0, a6: 0.9, a7: 1.4 };
      const c: Record<string, number> = { 16: 0.6, 32: 0.2, 64: 0, 128: 0.3, 256: 0.8 };
      const b = p.b as string;
      // The best b depends on d, and the best u on b.
      const bd = p.d === true ? { b0: 0.7, b1: 0, b2: 0.4 }[b]! : { b0: 0.2, b1: 0.6, b2: 0.5 }[b]!;
      const uCentre = { b0: 0.2, b1: 0.7, b2: 0.5 }[b]!;
      return a[p.a as string]! + c[String(p.c)]! + bd + 4 * ((p.u as number) - uCentre) ** 2 + 2 * ((p.v as number) - 0.35) ** 2;
    }),
  },
  {
    name: 'conditional-8d',
    description: 'optimizer choice with when-conditional params; log float, int, log int, categorical, stepped float',
    space: {
      optimizer: { type: 'categorical', choices: ['sgd', 'adam', 'adamw'] },
      lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
      layers: { type: 'int', low: 1, high: 8 },
      units: { type: 'int', low: 8, high: 1024, log: true },
      batch: { type: 'categorical', choices: [16, 32, 64, 128, 256] },
      dropout: { type: 'float', low: 0, high: 0.5, step: 0.05 },
      weight_decay: { type: 'float', low: 1e-6, high: 1e-2, log: true, when: { optimizer: ['adamw'] } },
      momentum: { type: 'float', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
    },
    minimum: 0,
    evaluate: exact((p) => {
      const lrCentre: Record<string, number> = { sgd: -2, adam: -3.3, adamw: -3 };
      const batchPenalty: Record<string, number> = { 16: 0.4, 32: 0.1, 64: 0, 128: 0.2, 256: 0.6 };
      const opt = p.optimizer as string;
      let v = (Math.log10(p.lr as number) - lrCentre[opt]!) ** 2;
      v += 0.15 * ((p.layers as number) - 4) ** 2 + 0.25 * (Math.log2(p.units as number) - 7) ** 2;
      v += batchPenalty[String(p.batch)]! + 8 * ((p.dropout as number) - 0.25) ** 2;
      if (opt === 'adamw') v += 0.3 * (Math.log10(p.weight_decay as number) + 4) ** 2;
      else if (opt === 'adam') v += 0.6;
      else v += 1 + 4 * ((p.momentum as number) - 0.9) ** 2;
      return v;
    }),
  },
  {
    name: 'noisy-hartmann6',
    description: 'Hartmann 6 plus N(0, 0.1^2) noise; regret of the true value at the best observed trial',
    space: vector('x', 6, { type: 'float', low: 0, high: 1 }),
    minimum: HARTMANN6_MIN,
    evaluate: (p, seed, trial) => {
      const truth = hartmann6(p);
      return { observed: truth + 0.1 * noise(seed, trial), truth };
    },
  },
];
