/**
 * The standard normal and truncated-normal functions the Parzen estimator needs:
 * erf/erfc, the normal cdf and its logarithm, the normal quantile (also from a
 * log-probability), and the pdf/logpdf/cdf/ppf/sampling of a normal truncated to [a, b].
 *
 * Written for the tails: a TPE kernel is often evaluated many sigmas away from its mean
 * (a narrow good-group kernel against a candidate at the other end of the range), and a
 * naive `log(Phi(b) - Phi(a))` there is `log(0)`. As in Optuna's `_truncnorm.py` (itself
 * taken from SciPy), every mass is computed in log space and on the left tail of the
 * normal, where `log Phi` is accurate, flipping the interval when it lies to the right.
 *
 * References:
 * - erf/erfc: the rational approximations of FreeBSD's `s_erf.c` (Sun Microsystems, 1993),
 *   accurate to < 1 ulp; the same constants as Optuna's `_erf.py`.
 * - the normal quantile: M. J. Wichura, "Algorithm AS 241: The percentage points of the
 *   normal distribution", Applied Statistics 37(3), 1988 (about 16 significant digits).
 * - `log Phi` for a < -20: the asymptotic series of SciPy's `log_ndtr`.
 */

const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// ---------------------------------------------------------------------------------------
// erf / erfc (FreeBSD s_erf.c)
// ---------------------------------------------------------------------------------------

const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
// erf on [0, 0.84375]
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
// erf on [0.84375, 1.25]
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const QA = [1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
// erfc on [1.25, 1/0.35]
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const SA = [1, 1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
// erfc on [1/0.35, 28]
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const SB = [1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

/** Horner evaluation of `c[0] + c[1] x + ... + c[n] x^n`. */
function poly(c: readonly number[], x: number): number {
  let v = c[c.length - 1]!;
  for (let i = c.length - 2; i >= 0; i--) v = v * x + c[i]!;
  return v;
}

const splitView = new Float64Array(1);
const splitWords = new Uint32Array(splitView.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * exp(-x^2 - 0.5625 + R/S) for x >= 1.25, computed as s_erf.c does: x^2 is split as
 * z^2 + (z - x)(z + x) with z = x with its low 32 bits cleared, so z^2 is exact and the
 * rounding error of x^2 (which exp would multiply by up to 28^2) never appears.
 */
function erfcTail(ax: number): number {
  const s = 1 / (ax * ax);
  const rs = ax < 1 / 0.35 ? poly(RA, s) / poly(SA, s) : poly(RB, s) / poly(SB, s);
  splitView[0] = ax;
  splitWords[LOW_WORD] = 0;
  const z = splitView[0]!;
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + rs)) / ax;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -28) return x + EFX * x;
    const z = x * x;
    return x + x * (poly(PP, z) / poly(QQ, z));
  }
  const sign = x < 0 ? -1 : 1;
  if (ax < 1.25) return sign * (ERX + poly(PA, ax - 1) / poly(QA, ax - 1));
  if (ax >= 6) return sign;
  return sign * (1 - erfcTail(ax));
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -56) return 1 - x;
    const z = x * x;
    const y = poly(PP, z) / poly(QQ, z);
    // Below 1/4 the subtraction from 1 loses nothing; above, split off 0.5 first.
    if (x < 0.25) return 1 - (x + x * y);
    return 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const pq = poly(PA, ax - 1) / poly(QA, ax - 1);
    return x >= 0 ? 1 - ERX - pq : 1 + ERX + pq;
  }
  if (ax < 28) {
    if (x < 0 && ax >= 6) return 2;
    const t = erfcTail(ax);
    return x > 0 ? t : 2 - t;
  }
  return x > 0 ? 0 : 2;
}

// ---------------------------------------------------------------------------------------
// Standard normal cdf, log cdf and quantile
// ---------------------------------------------------------------------------------------

/** Phi(a), through erfc on both sides so that neither tail cancels. */
export function ndtr(a: number): number {
  const x = a * SQRT1_2;
  if (x < -SQRT1_2) return 0.5 * erfc(-x);
  if (x < SQRT1_2) return 0.5 + 0.5 * erf(x);
  return 1 - 0.5 * erfc(x);
}

/**
 * log Phi(a) accurate over the whole line: `log1p(-Phi(-a))` on the right (where Phi is
 * within an ulp of 1), `log(0.5 erfc(-a/sqrt 2))` in the middle, and for a < -20 (where
 * erfc would underflow soon) the asymptotic expansion
 * log Phi(a) = -a^2/2 - log(-a) - log(2 pi)/2 + log(1 - 1/a^2 + 3/a^4 - 15/a^6 + ...).
 */
export function logNdtr(a: number): number {
  if (Number.isNaN(a)) return NaN;
  if (a > 0) return Math.log1p(-0.5 * erfc(a * SQRT1_2));
  if (a > -20) return Math.log(0.5 * erfc(-a * SQRT1_2));
  if (a === -Infinity) return -Infinity;
  const logLhs = -0.5 * a * a - Math.log(-a) - LOG_SQRT_2PI;
  const denomCons = 1 / (a * a);
  let lastTotal = 0;
  let total = 1;
  let numerator = 1;
  let denomFactor = 1;
  let sign = 1;
  for (let i = 1; Math.abs(lastTotal - total) > Number.EPSILON && i < 100; i++) {
    lastTotal = total;
    sign = -sign;
    denomFactor *= denomCons;
    numerator *= 2 * i - 1;
    total += sign * numerator * denomFactor;
  }
  return logLhs + Math.log(total);
}

/** log of the standard normal density. */
export function normLogPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

// AS 241 (PPND16) coefficients.
const AS241_A = [3.387132872796366608, 1.3314166789178437745e2, 1.9715909503065514427e3, 1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4, 3.3430575583588128105e4, 2.5090809287301226727e3];
const AS241_B = [1, 4.2313330701600911252e1, 6.871870074920579083e2, 5.3941960214247511077e3, 2.1213794301586595867e4, 3.930789580009271061e4, 2.8729085735721942674e4, 5.226495278852854561e3];
const AS241_C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 2.4178072517745061177e-1, 2.27238449892691845833e-2, 7.7454501427834140764e-4];
const AS241_D = [1, 2.05319162663775882187, 1.6763848301838038494, 6.8976733498510000455e-1, 1.4810397642748007459e-1, 1.51986665636164571966e-2, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const AS241_E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 2.9656057182850489123e-1, 2.6532189526576123093e-2, 1.2426609473880784386e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const AS241_F = [1, 5.9983220655588793769e-1, 1.369298809227358053e-1, 1.48753612908506148525e-2, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

/** AS 241 central region: the quantile of 0.5 + q for |q| <= 0.425. */
function as241Central(q: number): number {
  const r = 0.180625 - q * q;
  return (q * poly(AS241_A, r)) / poly(AS241_B, r);
}

/** AS 241 tail region: the (positive) quantile of the upper tail with r = sqrt(-log(tail)). */
function as241Tail(r: number): number {
  return r <= 5 ? poly(AS241_C, r - 1.6) / poly(AS241_D, r - 1.6) : poly(AS241_E, r - 5) / poly(AS241_F, r - 5);
}

/** Quantile of the standard normal (inverse of `ndtr`). */
export function ndtri(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) return as241Central(q);
  const x = as241Tail(Math.sqrt(-Math.log(q < 0 ? p : 1 - p)));
  return q < 0 ? -x : x;
}

const LOG_0_075 = Math.log(0.075);
const LOG_0_925 = Math.log(0.925);

/**
 * The x with log Phi(x) = y, for y <= 0, without ever forming Phi(x) where it would
 * underflow or round to 1. AS 241 only needs sqrt(-log tail) in its tail regions, so the
 * lower tail takes r = sqrt(-y) directly and the upper tail r = sqrt(-log(-expm1(y))).
 * Beyond the range AS 241 was fitted on (tail < 1e-300), Newton steps on log Phi polish it.
 */
export function ndtriExp(y: number): number {
  if (Number.isNaN(y) || y > 0) return NaN;
  if (y === 0) return Infinity;
  if (y === -Infinity) return -Infinity;
  if (y > LOG_0_075 && y < LOG_0_925) return as241Central(Math.exp(y) - 0.5);
  if (y >= LOG_0_925) return as241Tail(Math.sqrt(-Math.log(-Math.expm1(y))));
  let x = -as241Tail(Math.sqrt(-y));
  if (y < -690) {
    for (let i = 0; i < 8; i++) {
      const l = logNdtr(x);
      const dx = (l - y) * Math.exp(l - normLogPdf(x));
      x -= dx;
      if (Math.abs(dx) < 1e-14 * Math.abs(x)) break;
    }
  }
  return x;
}

// ---------------------------------------------------------------------------------------
// Truncated normal on [a, b] (standardised bounds)
// ---------------------------------------------------------------------------------------

/** log(exp(p) + exp(q)). */
export function logAddExp(p: number, q: number): number {
  const m = Math.max(p, q);
  if (m === -Infinity) return -Infinity;
  return m + Math.log1p(Math.exp(-Math.abs(p - q)));
}

/** log(exp(p) - exp(q)) for p >= q. */
function logDiffExp(p: number, q: number): number {
  if (q === -Infinity) return p;
  return p + Math.log1p(-Math.exp(q - p));
}

/**
 * log(Phi(b) - Phi(a)), the log mass of the standard normal on [a, b], for a <= b.
 * Intervals entirely in the right tail are mirrored to the left tail (where log Phi keeps
 * its relative precision); an interval straddling 0 has a mass of at least Phi(0)-ish
 * order, so `log1p(-Phi(a) - Phi(-b))` is accurate there. A very narrow interval (a bin
 * of width ~1e-9 sigma) is integrated by the midpoint rule, which is exact to rounding.
 */
export function logGaussMass(a: number, b: number): number {
  if (!(a < b)) return a === b ? -Infinity : NaN;
  if (b - a < 1e-9) return Math.log(b - a) + normLogPdf(0.5 * (a + b));
  if (b <= 0) return logDiffExp(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiffExp(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/**
 * log density at x of N(loc, scale^2) truncated to [loc + a scale, loc + b scale]
 * (a and b are the standardised bounds, as in SciPy's `truncnorm`).
 */
export function logPdf(x: number, a: number, b: number, loc = 0, scale = 1): number {
  const z = (x - loc) / scale;
  if (z < a || z > b) return -Infinity;
  return normLogPdf(z) - logGaussMass(a, b) - Math.log(scale);
}

export function pdf(x: number, a: number, b: number, loc = 0, scale = 1): number {
  return Math.exp(logPdf(x, a, b, loc, scale));
}

/** Cumulative distribution of the truncated normal. */
export function cdf(x: number, a: number, b: number, loc = 0, scale = 1): number {
  const z = (x - loc) / scale;
  if (z <= a) return 0;
  if (z >= b) return 1;
  return Math.exp(logGaussMass(a, z) - logGaussMass(a, b));
}

/**
 * Quantile of the standard normal truncated to [a, b]: the c with
 * Phi(c) = Phi(a) + q (Phi(b) - Phi(a)), solved in log space on whichever side keeps
 * log Phi in its accurate left tail (Optuna's `_truncnorm.ppf`).
 */
export function ppfStandard(q: number, a: number, b: number): number {
  if (!(a < b)) return NaN;
  if (q <= 0) return a;
  if (q >= 1) return b;
  const logMass = logGaussMass(a, b);
  let x: number;
  if (a < 0) {
    x = ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logMass));
  } else {
    x = -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logMass));
  }
  // Rounding may step a hair outside the support; the support is closed.
  return Math.min(b, Math.max(a, x));
}

/** Quantile of the truncated normal in the original units. */
export function ppf(q: number, a: number, b: number, loc = 0, scale = 1): number {
  return loc + scale * ppfStandard(q, a, b);
}

/** One draw by inversion of the cdf, from a uniform source on [0, 1). */
export function rvs(uniform: () => number, a: number, b: number, loc = 0, scale = 1): number {
  return ppf(uniform(), a, b, loc, scale);
}
