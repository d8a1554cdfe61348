/**
 * The built-in synthetic heartbeat set: beats in the Kaggle/MIT-BIH format of Kachuee et al.
 * (2018) — 125 Hz, a window that opens on an R peak and spans 1.2 × the RR interval, min-max
 * scaled to [0, 1] and zero-padded to 187 samples — generated from the ECGSYN wave model.
 *
 * ECGSYN (McSharry, Clifford, Tarassenko & Smith, "A dynamical model for generating synthetic
 * electrocardiogram signals", IEEE TBME 50(3), 2003) drives z by
 *     ż = −Σᵢ aᵢ Δθᵢ exp(−Δθᵢ² / 2bᵢ²) − (z − z₀),   Δθᵢ = (θ − θᵢ) mod 2π,
 * with P, Q, R, S, T at θᵢ = −π/3, −π/12, 0, π/12, π/2 rad, aᵢ = 1.2, −5, 30, −7.5, 0.75 and
 * bᵢ = 0.25, 0.1, 0.1, 0.1, 0.4. Integrating the sum over θ (without the baseline-restoring term,
 * whose role is taken here by an explicit baseline wander) gives the closed form
 *     z(θ) = Σᵢ aᵢ bᵢ² exp(−Δθᵢ² / 2bᵢ²),
 * a sum of Gaussians of height aᵢbᵢ² (P 0.075, Q −0.05, R 0.3, S −0.075, T 0.12). A beat whose
 * cycle lasts RR seconds places wave i at θᵢ·RR/2π s from its R peak with width bᵢ·RR/2π s, and
 * angles and widths follow ECGSYN's heart-rate scaling (bᵢ·√(hr/60); θ of Q, S by √(hr/60) and of
 * P, T by (hr/60)^¼).
 *
 * The window opens on the R peak of the sinus (or paced) beat that *precedes* the labelled beat,
 * so the labelled beat — its P wave (or its absence), its QRS width, the start of its T wave and,
 * above all, its prematurity relative to the window — falls inside the 1.2·RR window.
 *
 * Classes (AAMI grouping of MIT-BIH, shares N 82.8 %, S 2.5 %, V 6.6 %, F 0.7 %, Q 7.4 %):
 * - N normal sinus beat, coupling interval ~ RR·N(1, hrv) with the patient's sinus arrhythmia;
 * - S supraventricular premature beat: coupling 0.72–0.95·RR, an abnormal P wave (inverted,
 *   flattened or near-normal, with a different PR interval) and the patient's own narrow QRS;
 * - V premature ventricular beat: coupling 0.55–0.85·RR, no P wave, QRS wider than 120 ms with a
 *   patient-specific axis, T wave discordant to the main QRS deflection; the compensatory pause
 *   pushes the next beat beyond the window;
 * - F fusion: a blend w·V + (1−w)·N of the patient's two morphologies, w ∈ [0.3, 0.7], at nearly
 *   sinus timing, with the sinus P wave;
 * - Q paced: a pacing spike 80–120 ms before a wide QRS with discordant T, fixed pacing rate,
 *   dissociated P waves; only paced patients produce it (and all their beats are paced).
 *
 * Simulated patients (`groups`) each have their own heart rate and variability, wave angles,
 * amplitudes and widths, ectopic morphologies, ectopic propensities, noise level and baseline
 * wander (respiration, 0.15–0.5 Hz). S vs N and F vs N/V overlap on purpose: prematurity ranges
 * overlap with sinus arrhythmia, a third of S beats have a near-normal P wave, and fusion weights
 * span the gap between N and V.
 *
 * The multi-label variant (`multilabel: true`) renders C = 3 leads (I, II, V1; or II, V1 for
 * C = 2) from per-patient electrical axes and labels each beat with a multi-hot vector over
 * `MULTILABEL_CLASSES` (premature atrial/ventricular beat, bundle-branch block, ST deviation,
 * T inversion), which co-occur.
 *
 * Every beat is a pure function of (seed, beat index) given the per-study plan (class and
 * patient of each beat, patient parameters), so any block of beats can be generated alone.
 */
import { multiClassLabels, multiLabelLabels } from './labels.js';
import type { DatasetArrays } from './types.js';
import { randomStream, type RandomStream } from './rng.js';

export const SAMPLE_RATE_HZ = 125;
export const BEAT_LENGTH = 187;
export const MITBIH_CLASSES = ['N', 'S', 'V', 'F', 'Q'] as const;
/** MIT-BIH class shares of the AAMI classes (Kaggle `mitbih_train.csv`). */
export const MITBIH_SHARES = [0.828, 0.025, 0.066, 0.007, 0.074] as const;
export const MULTILABEL_CLASSES = ['premature_atrial', 'premature_ventricular', 'bundle_branch_block', 'st_deviation', 't_inversion'] as const;

/** ECGSYN (McSharry et al. 2003) parameters of P, Q, R, S, T. */
export const ECGSYN_THETA = [-Math.PI / 3, -Math.PI / 12, 0, Math.PI / 12, Math.PI / 2] as const;
export const ECGSYN_A = [1.2, -5, 30, -7.5, 0.75] as const;
export const ECGSYN_B = [0.25, 0.1, 0.1, 0.1, 0.4] as const;
const P = 0;
const Q = 1;
const R = 2;
const S = 3;
const T = 4;

const N_CLASS = 0;
const S_CLASS = 1;
const V_CLASS = 2;
const F_CLASS = 3;
const Q_CLASS = 4;

export interface SyntheticOptions {
  /** Number of beats. */
  readonly n: number;
  readonly seed: number;
  /** Multi-lead, multi-label variant. */
  readonly multilabel?: boolean;
  /** Leads of the multi-label variant: 2 (II, V1) or 3 (I, II, V1); default 3. */
  readonly leads?: 2 | 3;
  /** Simulated patients; default about one per 150 beats (8..400). */
  readonly patients?: number;
}

/** One Gaussian wave of a beat: centre (s from the beat's R peak), width (s), height per lead. */
interface Wave {
  t: number;
  sigma: number;
  amp: number[];
}

interface Patient {
  readonly rr: number;
  readonly hrv: number;
  readonly paced: boolean;
  /** Sinus beat P, Q, R, S, T (plus extra waves for bundle-branch block / ST deviation). */
  readonly sinus: Wave[];
  /** This patient's premature ventricular (or paced) morphology, without P. */
  readonly ventricular: Wave[];
  readonly pacingSpike: Wave | null;
  readonly noise: number;
  readonly wander: number;
  readonly wanderHz: number;
  /** Relative propensity to S, V, F beats (multi-class) or PAC, PVC (multi-label). */
  readonly propensity: readonly number[];
  /** Multi-label patient-level findings. */
  readonly bbb: boolean;
  readonly st: boolean;
  readonly tinv: boolean;
}

interface Plan {
  readonly options: Required<Omit<SyntheticOptions, 'leads'>> & { leads: number };
  readonly channels: number;
  readonly patients: readonly Patient[];
  /** Multi-class: class per beat. Multi-label: beat kind 0 sinus, 1 PAC, 2 PVC. */
  readonly kind: Uint8Array;
  readonly patient: Int32Array;
  readonly classes: readonly string[];
}

/** Largest-remainder apportionment of n into shares. */
export function apportion(n: number, shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (n * s) / total);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]![1]]!++;
  return counts;
}

function hrScaled(rr: number): { theta: number[]; b: number[] } {
  const hrfact = Math.sqrt(60 / rr / 60);
  const hrfact2 = Math.sqrt(hrfact);
  const scale = [hrfact2, hrfact, 1, hrfact, hrfact2];
  return { theta: ECGSYN_THETA.map((t, i) => t * scale[i]!), b: ECGSYN_B.map((b) => b * hrfact) };
}

/** Lead gains of a wave whose frontal-plane vector points at `axisDeg` (I at 0°, II at 60°). */
function limbGains(axisDeg: number, leads: number): number[] {
  const rad = (d: number) => (d * Math.PI) / 180;
  const i = Math.cos(rad(axisDeg));
  const ii = Math.cos(rad(axisDeg - 60));
  return leads === 3 ? [i, ii] : [ii];
}

function makePatient(rng: RandomStream, plan: { paced: boolean; multilabel: boolean; channels: number }): Patient {
  const { paced, multilabel, channels } = plan;
  const hr = paced ? rng.uniform(60, 75) : rng.uniform(55, 100);
  const rr = 60 / hr;
  const { theta, b } = hrScaled(rr);
  const toTime = (angle: number) => (angle / (2 * Math.PI)) * rr;
  // Per-patient morphology: jittered angles, heights and widths of ECGSYN's five waves.
  const heightJitter = [rng.uniform(0.6, 1.4), rng.uniform(0.5, 1.5), rng.uniform(0.75, 1.25), rng.uniform(0.5, 1.6), rng.uniform(0.5, 1.5)];
  const thetaJitter = [rng.normal() * 0.06, rng.normal() * 0.02, 0, rng.normal() * 0.02, rng.normal() * 0.08];
  const widthJitter = [rng.uniform(0.8, 1.25), rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.2), rng.uniform(0.8, 1.2)];

  // Lead gains: multi-class beats are one lead (gain 1); multi-label beats project each wave.
  const qrsAxis = rng.uniform(-30, 90);
  const tAxis = qrsAxis + rng.uniform(-35, 35);
  const pAxis = rng.uniform(40, 70);
  const v1 = { p: rng.uniform(0.3, 0.7), q: 0, r: rng.uniform(0.2, 0.45), s: rng.uniform(1.4, 2.4), t: rng.uniform(-0.3, 0.6) };
  const gains = (wave: number): number[] => {
    if (!multilabel) return [1];
    const axis = wave === P ? pAxis : wave === T ? tAxis : qrsAxis;
    const limb = limbGains(axis, channels);
    const chest = [v1.p, v1.q, v1.r, v1.s, v1.t][wave]!;
    return [...limb, chest];
  };
  const sinus: Wave[] = [P, Q, R, S, T].map((w) => ({
    t: toTime(theta[w]! + thetaJitter[w]!),
    sigma: toTime(b[w]! * widthJitter[w]!),
    amp: gains(w).map((g) => g * ECGSYN_A[w]! * ECGSYN_B[w]! ** 2 * heightJitter[w]!),
  }));

  const bbb = multilabel && rng.next() < 0.12;
  const st = multilabel && rng.next() < 0.15;
  const tinv = multilabel && rng.next() < 0.12;
  if (bbb) {
    // Right bundle-branch block: wider QRS, slurred S, and a terminal R' (rSR' in V1).
    for (const w of [Q, R, S]) sinus[w]!.sigma *= 1.5;
    sinus[S]!.t *= 1.3;
    const rPrime = rng.uniform(0.12, 0.22);
    sinus.push({ t: sinus[S]!.t + sinus[S]!.sigma * 1.8, sigma: sinus[R]!.sigma * 1.2, amp: gains(R).map((_, lead, all) => (lead === all.length - 1 ? rPrime : -0.2 * rPrime)) });
  }
  if (st) {
    // ST elevation or depression: a broad plateau between the J point and the T wave.
    const shift = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.025, 0.06);
    sinus.push({ t: (sinus[S]!.t + sinus[T]!.t) / 2, sigma: (sinus[T]!.t - sinus[S]!.t) / 2.5, amp: gains(R).map((g) => shift * (0.6 + 0.4 * Math.abs(g))) });
  }
  if (tinv) sinus[T]!.amp = sinus[T]!.amp.map((a) => -Math.abs(a) * rng.uniform(0.6, 1.2));

  // Ventricular morphology: no P, QRS > 120 ms with its own axis, discordant T.
  const widen = rng.uniform(2.4, 3.4);
  const polarity = rng.next() < 0.3 ? -1 : 1;
  const vAxis = rng.uniform(-90, 180);
  const vGains = (): number[] => (multilabel ? [...limbGains(vAxis, channels), rng.uniform(-1.5, 1.5)] : [1]);
  const vg = vGains();
  const rAmp = ECGSYN_A[R] * ECGSYN_B[R] ** 2;
  const rSigma = toTime(b[R]!) * widen;
  const rHeight = polarity * rAmp * rng.uniform(0.6, 1.4);
  const ventricular: Wave[] = [
    { t: -rSigma * rng.uniform(0.8, 1.3), sigma: rSigma * 0.8, amp: vg.map((g) => g * ECGSYN_A[Q] * ECGSYN_B[Q] ** 2 * rng.uniform(0, 2)) },
    { t: 0, sigma: rSigma, amp: vg.map((g) => g * rHeight) },
    { t: rSigma * rng.uniform(1.2, 1.8), sigma: rSigma * rng.uniform(0.8, 1.2), amp: vg.map((g) => g * ECGSYN_A[S] * ECGSYN_B[S] ** 2 * rng.uniform(0.5, 3)) },
    {
      t: sinus[T]!.t * rng.uniform(0.9, 1.1),
      sigma: sinus[T]!.sigma * rng.uniform(1.1, 1.5),
      amp: vg.map((g) => -Math.sign(rHeight) * g * ECGSYN_A[T] * ECGSYN_B[T] ** 2 * rng.uniform(1.2, 2.4)),
    },
  ];
  const pacingSpike: Wave | null = paced
    ? { t: -rSigma * 2 - rng.uniform(0, 0.03), sigma: 0.004, amp: (multilabel ? vGains() : [1]).map((g) => g * rAmp * rng.uniform(1, 3)) }
    : null;

  const propensity = multilabel ? [rng.gamma(0.6), rng.gamma(0.6)] : [rng.gamma(0.5), rng.gamma(0.5), rng.gamma(0.5)];
  return {
    rr,
    hrv: paced ? 0.005 : rng.uniform(0.02, 0.07),
    paced,
    sinus,
    ventricular,
    pacingSpike,
    noise: rng.uniform(0.003, 0.015),
    wander: rng.uniform(0, 0.05),
    wanderHz: rng.uniform(0.15, 0.5),
    propensity,
    bbb,
    st,
    tinv,
  };
}

/** Weighted choice by binary search over cumulative weights. */
function pick(cumulative: Float64Array, rng: RandomStream): number {
  const total = cumulative[cumulative.length - 1]!;
  const u = rng.next() * total;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function cumulate(weights: number[]): Float64Array {
  const c = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => {
    s += w;
    c[i] = s;
  });
  return c;
}

function makePlan(opts: SyntheticOptions): Plan {
  const n = opts.n;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`synthetic n must be a positive integer, got ${n}`);
  const multilabel = opts.multilabel ?? false;
  const leads = multilabel ? opts.leads ?? 3 : 1;
  const channels = leads;
  const numPatients = Math.max(2, opts.patients ?? Math.min(400, Math.max(8, Math.round(n / 150))));
  const rng = randomStream('synthetic', opts.seed, 'plan');
  const size = Array.from({ length: numPatients }, () => Math.exp(0.5 * rng.normal()));
  const kind = new Uint8Array(n);
  const patient = new Int32Array(n);

  if (!multilabel) {
    const counts = apportion(n, MITBIH_SHARES);
    // At least three paced patients (when there are enough patients), so that a group split
    // can put paced beats in each of train, validation and test.
    const numPaced = counts[Q_CLASS]! > 0 ? Math.max(1, Math.min(Math.floor(numPatients / 4), Math.max(3, Math.round(numPatients * MITBIH_SHARES[Q_CLASS])))) : 0;
    // Paced patients are chosen at random; the rest carry N, S, V and F beats.
    const order = rng.permutation(numPatients);
    const paced = new Set(Array.from(order.subarray(0, numPaced)));
    const patients = Array.from({ length: numPatients }, (_, p) => makePatient(randomStream('synthetic', opts.seed, 'patient', p), { paced: paced.has(p), multilabel, channels }));
    const weightsFor = (c: number) =>
      cumulate(
        patients.map((pt, p) => {
          if (c === Q_CLASS) return pt.paced ? size[p]! : 0;
          if (pt.paced) return 0;
          return c === N_CLASS ? size[p]! : size[p]! * pt.propensity[c - 1]!;
        }),
      );
    const cum = [0, 1, 2, 3, 4].map(weightsFor);
    let k = 0;
    counts.forEach((count, c) => {
      for (let j = 0; j < count; j++) kind[k++] = c;
    });
    rng.shuffle(kind);
    for (let i = 0; i < n; i++) patient[i] = pick(cum[kind[i]!]!, rng);
    return { options: { n, seed: opts.seed, multilabel, leads, patients: numPatients }, channels, patients, kind, patient, classes: [...MITBIH_CLASSES] };
  }

  const patients = Array.from({ length: numPatients }, (_, p) => makePatient(randomStream('synthetic', opts.seed, 'patient', p), { paced: false, multilabel, channels }));
  const cumSize = cumulate(size);
  for (let i = 0; i < n; i++) {
    const p = pick(cumSize, rng);
    patient[i] = p;
    const pt = patients[p]!;
    // Ectopy: about 8 % premature atrial and 12 % premature ventricular beats overall.
    const u = rng.next();
    const pac = Math.min(0.5, 0.08 * pt.propensity[0]! / 0.6);
    const pvc = Math.min(0.5, 0.12 * pt.propensity[1]! / 0.6);
    kind[i] = u < pac ? 1 : u < pac + pvc ? 2 : 0;
  }
  return { options: { n, seed: opts.seed, multilabel, leads, patients: numPatients }, channels, patients, kind, patient, classes: [...MULTILABEL_CLASSES] };
}

function jitterWaves(waves: readonly Wave[], rng: RandomStream, amount: number, shift: number, scale = 1): Wave[] {
  return waves.map((w) => ({
    t: w.t * (1 + rng.normal() * amount * 0.5) + shift,
    sigma: w.sigma * (1 + rng.normal() * amount * 0.5),
    amp: w.amp.map((a) => a * scale * (1 + rng.normal() * amount)),
  }));
}

/**
 * Renders one beat into `out` (row-major [BEAT_LENGTH, channels]) and, for the multi-label
 * variant, its K labels into `multiHot`.
 * Returns nothing; everything random comes from the stream of (seed, beat index).
 */
function renderBeat(plan: Plan, i: number, out: Float32Array, outOffset: number, multiHot: Uint8Array | null): void {
  const rng = randomStream('synthetic', plan.options.seed, 'beat', i);
  const pt = plan.patients[plan.patient[i]!]!;
  const c = plan.channels;
  const rr = pt.rr;
  // Window: 1.2 × the local median RR (Kachuee et al. 2018), so prematurity shows relative to it.
  const rrMedian = rr * Math.min(1.1, Math.max(0.9, 1 + 0.02 * rng.normal()));
  const width = Math.min(BEAT_LENGTH, Math.round(1.2 * rrMedian * SAMPLE_RATE_HZ));
  const waves: Wave[] = [];
  // Preceding beat (the window opens on its R peak): sinus, or paced for paced patients.
  const breath = 1 + 0.05 * Math.sin(2 * Math.PI * rng.next());
  if (pt.paced) {
    waves.push(...jitterWaves(pt.ventricular, rng, 0.03, 0, breath));
  } else {
    waves.push(...jitterWaves(pt.sinus, rng, 0.03, 0, breath));
  }
  const kind = plan.kind[i]!;
  const addSinusP = (at: number, scale: number) => waves.push(...jitterWaves([pt.sinus[P]!], rng, 0.05, at, scale));
  const sinusQrsT = () => pt.sinus.filter((_, w) => w !== P);
  let coupling: number;
  if (!plan.options.multilabel) {
    switch (kind) {
      case N_CLASS: {
        coupling = Math.min(1.2, Math.max(0.82, 1 + pt.hrv * rng.normal()));
        const at = coupling * rr;
        waves.push(...jitterWaves(pt.sinus, rng, 0.04, at));
        break;
      }
      case S_CLASS: {
        coupling = rng.uniform(0.72, 0.95);
        const at = coupling * rr;
        // Ectopic atrial focus: inverted, flattened or near-normal P, with a different PR interval.
        const u = rng.next();
        const pScale = u < 0.35 ? rng.uniform(-0.8, -0.3) : u < 0.7 ? rng.uniform(0.2, 0.7) : rng.uniform(0.75, 1.05);
        const p = pt.sinus[P]!;
        waves.push({ t: at + p.t * rng.uniform(0.7, 1.25), sigma: p.sigma * rng.uniform(0.8, 1.3), amp: p.amp.map((a) => a * pScale) });
        waves.push(...jitterWaves(sinusQrsT(), rng, 0.04, at));
        break;
      }
      case V_CLASS: {
        coupling = rng.uniform(0.55, 0.85);
        waves.push(...jitterWaves(pt.ventricular, rng, 0.06, coupling * rr));
        break;
      }
      case F_CLASS: {
        coupling = rng.uniform(0.9, 1.02);
        const at = coupling * rr;
        const w = rng.uniform(0.3, 0.7);
        addSinusP(at, rng.uniform(0.7, 1));
        waves.push(...jitterWaves(sinusQrsT(), rng, 0.04, at, 1 - w));
        waves.push(...jitterWaves(pt.ventricular, rng, 0.04, at, w));
        break;
      }
      default: {
        // Paced: spike, wide QRS, discordant T at the fixed pacing interval; dissociated P.
        coupling = 1 + pt.hrv * rng.normal();
        const at = coupling * rr;
        waves.push(...jitterWaves([pt.pacingSpike!], rng, 0.1, at));
        waves.push(...jitterWaves(pt.ventricular, rng, 0.04, at));
        if (rng.next() < 0.5) addSinusP(rng.uniform(0.2, 1.1) * rr - pt.sinus[P]!.t, rng.uniform(0.6, 1));
        break;
      }
    }
  } else {
    const hot = multiHot!;
    hot.fill(0);
    if (kind === 2) {
      coupling = rng.uniform(0.55, 0.85);
      waves.push(...jitterWaves(pt.ventricular, rng, 0.06, coupling * rr));
      hot[1] = 1;
    } else {
      if (kind === 1) {
        coupling = rng.uniform(0.7, 0.92);
        const at = coupling * rr;
        const p = pt.sinus[P]!;
        const pScale = rng.next() < 0.5 ? rng.uniform(-0.8, -0.3) : rng.uniform(0.2, 0.9);
        waves.push({ t: at + p.t * rng.uniform(0.7, 1.25), sigma: p.sigma * rng.uniform(0.8, 1.3), amp: p.amp.map((a) => a * pScale) });
        waves.push(...jitterWaves(sinusQrsT(), rng, 0.04, at));
        hot[0] = 1;
      } else {
        coupling = Math.min(1.2, Math.max(0.82, 1 + pt.hrv * rng.normal()));
        waves.push(...jitterWaves(pt.sinus, rng, 0.04, coupling * rr));
      }
      if (pt.bbb) hot[2] = 1;
      if (pt.st) hot[3] = 1;
      if (pt.tinv) hot[4] = 1;
    }
  }

  // Sum of Gaussians on the sample grid (window start jittered within a sample), then noise.
  const buf = new Float64Array(width * c);
  const t0 = (rng.next() - 0.5) / SAMPLE_RATE_HZ;
  for (const w of waves) {
    const lo = Math.max(0, Math.floor((w.t - 5 * w.sigma - t0) * SAMPLE_RATE_HZ));
    const hi = Math.min(width - 1, Math.ceil((w.t + 5 * w.sigma - t0) * SAMPLE_RATE_HZ));
    const inv = 1 / (2 * w.sigma * w.sigma);
    for (let s = lo; s <= hi; s++) {
      const d = t0 + s / SAMPLE_RATE_HZ - w.t;
      const g = Math.exp(-d * d * inv);
      for (let ch = 0; ch < c; ch++) buf[s * c + ch]! += w.amp[ch]! * g;
    }
  }
  const phase = 2 * Math.PI * rng.next();
  const wander = pt.wander * rng.uniform(0.5, 1.5);
  for (let s = 0; s < width; s++) {
    const bw = wander * Math.sin(phase + (2 * Math.PI * pt.wanderHz * s) / SAMPLE_RATE_HZ);
    for (let ch = 0; ch < c; ch++) buf[s * c + ch]! += bw + pt.noise * rng.normal();
  }
  // Min-max scale the window to [0, 1] (jointly over leads, keeping their relative sizes); zero-pad.
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < buf.length; j++) {
    if (buf[j]! < min) min = buf[j]!;
    if (buf[j]! > max) max = buf[j]!;
  }
  const span = max - min || 1;
  out.fill(0, outOffset, outOffset + BEAT_LENGTH * c);
  for (let j = 0; j < buf.length; j++) out[outOffset + j] = (buf[j]! - min) / span;
}

export interface SyntheticSet extends DatasetArrays {
  readonly classes: readonly string[];
}

/**
 * Generates beats [start, end) of the set defined by `opts` (the whole set by default).
 * The result for a beat does not depend on the block it is generated in.
 */
export function generateSynthetic(opts: SyntheticOptions, range?: { start: number; end: number }): SyntheticSet {
  return generateFromPlan(makePlan(opts), range?.start ?? 0, range?.end ?? opts.n);
}

function generateFromPlan(plan: Plan, start: number, end: number): SyntheticSet {
  const c = plan.channels;
  const count = end - start;
  const signals = new Float32Array(count * BEAT_LENGTH * c);
  const k = plan.classes.length;
  const multiHot = plan.options.multilabel ? new Uint8Array(count * k) : null;
  for (let i = start; i < end; i++) {
    const j = i - start;
    renderBeat(plan, i, signals, j * BEAT_LENGTH * c, multiHot ? multiHot.subarray(j * k, j * k + k) : null);
  }
  const groups = plan.patient.slice(start, end);
  const labels = multiHot ? multiLabelLabels(multiHot, plan.classes) : multiClassLabels(Int32Array.from(plan.kind.subarray(start, end)), plan.classes);
  return { signals, count, length: BEAT_LENGTH, channels: c, labels, groups, classes: plan.classes };
}

/**
 * Generates the set block by block (memory: one block), calling `onBlock` in order; used to
 * write sets larger than memory to HDF5.
 */
export async function generateSyntheticBlocks(opts: SyntheticOptions, blockSize: number, onBlock: (block: SyntheticSet, start: number) => void | Promise<void>): Promise<void> {
  const plan = makePlan(opts);
  for (let a = 0; a < opts.n; a += blockSize) {
    await onBlock(generateFromPlan(plan, a, Math.min(opts.n, a + blockSize)), a);
  }
}

/** The class names a synthetic set will have. */
export function syntheticClasses(multilabel: boolean): readonly string[] {
  return multilabel ? MULTILABEL_CLASSES : MITBIH_CLASSES;
}
