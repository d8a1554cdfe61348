// Element-wise, reduction, tile and batch-norm kernels. On tfjs' cpu backend these are JS loops
// with per-element index arithmetic (a Sum over the leading axes of a [64, 11, 17, 64] tensor
// takes ~150 ms there, a broadcast Multiply ~350 ms); here each is one pass over memory.
//
// Numerics follow the cpu backend: reductions accumulate in double (JS numbers), sqrt/rsqrt are
// taken in double and rounded once, ReLU/Step keep NaN. Loops are compiled for AVX2 and for the
// baseline ISA and picked at load time (target_clones) where the compiler supports it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "clones.h"
#include "napi_util.h"

namespace hp {
namespace {

// ---- binary ---------------------------------------------------------------------------------

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kSquaredDiff = 4, kMax = 5, kMin = 6 };

// How b (or a) is laid over the output, as the JS side classified the shapes:
//   kSame: both full; kScalarB / kScalarA: one side has one value;
//   kCycleB / kCycleA: one side repeats with period `inner` (a trailing-dims broadcast such as
//   [C] or [1, 1, 1, C] over [N, H, W, C]).
enum Mode { kSame = 0, kScalarB = 1, kScalarA = 2, kCycleB = 3, kCycleA = 4 };

template <int Op>
inline float Apply(float a, float b) {
  if (Op == kAdd) return a + b;
  if (Op == kSub) return a - b;
  if (Op == kMul) return a * b;
  if (Op == kDiv) return static_cast<float>(static_cast<double>(a) / static_cast<double>(b));
  if (Op == kSquaredDiff) {
    const float d = a - b;
    return d * d;
  }
  // tfjs' Maximum/Minimum on cpu: NaN if either is NaN (Math.max/min).
  if (Op == kMax) return (a != a || b != b) ? NAN : (a > b ? a : b);
  return (a != a || b != b) ? NAN : (a < b ? a : b);
}

template <int Op>
HP_CLONES void BinarySame(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Apply<Op>(a[i], b[i]);
}

template <int Op>
HP_CLONES void BinaryScalarB(const float* a, float b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Apply<Op>(a[i], b);
}

template <int Op>
HP_CLONES void BinaryScalarA(float a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Apply<Op>(a, b[i]);
}

template <int Op>
void BinaryCycle(const float* full, const float* cyc, float* out, int64_t n, int64_t inner, bool cycleIsB) {
  for (int64_t i = 0; i < n; i += inner) {
    if (cycleIsB) {
      BinarySame<Op>(full + i, cyc, out + i, inner);
    } else {
      BinarySame<Op>(cyc, full + i, out + i, inner);
    }
  }
}

template <int Op>
void RunBinary(Mode mode, const float* a, const float* b, float* out, int64_t n, int64_t inner) {
  switch (mode) {
    case kSame:
      BinarySame<Op>(a, b, out, n);
      break;
    case kScalarB:
      BinaryScalarB<Op>(a, b[0], out, n);
      break;
    case kScalarA:
      BinaryScalarA<Op>(a[0], b, out, n);
      break;
    case kCycleB:
      BinaryCycle<Op>(a, b, out, n, inner, true);
      break;
    case kCycleA:
      BinaryCycle<Op>(b, a, out, n, inner, false);
      break;
  }
}

bool BroadcastLengthsOk(int64_t mode, int64_t na, int64_t nb, int64_t n, int64_t inner);

// binary(op, a, b, out, mode, inner)
napi_value JsBinary(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  int64_t op = 0, mode = 0, inner = 0;
  FloatArray a, b, out;
  if (!GetInt(env, argv[0], "op", &op) || !GetFloatArray(env, argv[1], "a", &a) || !GetFloatArray(env, argv[2], "b", &b) ||
      !GetFloatArray(env, argv[3], "out", &out) || !GetInt(env, argv[4], "mode", &mode) || !GetInt(env, argv[5], "inner", &inner)) {
    return nullptr;
  }
  if (op < kAdd || op > kMin) return ThrowRange(env, "binary: unknown op");
  if (mode < kSame || mode > kCycleA) return ThrowRange(env, "binary: unknown broadcast mode");
  if (!BroadcastLengthsOk(mode, a.length, b.length, out.length, inner)) {
    return ThrowRange(env, "binary: operand lengths do not match the broadcast mode");
  }
  const int64_t n = out.length;
  const Mode m = static_cast<Mode>(mode);
  switch (op) {
    case kAdd:
      RunBinary<kAdd>(m, a.data, b.data, out.data, n, inner);
      break;
    case kSub:
      RunBinary<kSub>(m, a.data, b.data, out.data, n, inner);
      break;
    case kMul:
      RunBinary<kMul>(m, a.data, b.data, out.data, n, inner);
      break;
    case kDiv:
      RunBinary<kDiv>(m, a.data, b.data, out.data, n, inner);
      break;
    case kSquaredDiff:
      RunBinary<kSquaredDiff>(m, a.data, b.data, out.data, n, inner);
      break;
    case kMax:
      RunBinary<kMax>(m, a.data, b.data, out.data, n, inner);
      break;
    default:
      RunBinary<kMin>(m, a.data, b.data, out.data, n, inner);
      break;
  }
  return nullptr;
}

// ---- comparisons (bool outputs, e.g. dropout masks) -----------------------------------------

enum CompareOp { kGreater = 0, kGreaterEqual = 1, kLess = 2, kLessEqual = 3, kEqual = 4, kNotEqual = 5 };

template <int Op>
inline uint8_t Compare(float a, float b) {
  if (Op == kGreater) return a > b;
  if (Op == kGreaterEqual) return a >= b;
  if (Op == kLess) return a < b;
  if (Op == kLessEqual) return a <= b;
  if (Op == kEqual) return a == b;
  return a != b;
}

// Separate loops per operand kind (a strided form `a[i * sa]` does not vectorise).
template <int Op>
HP_CLONES void CompareSame(const float* a, const float* b, uint8_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Compare<Op>(a[i], b[i]);
}

template <int Op>
HP_CLONES void CompareScalarB(const float* a, float b, uint8_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Compare<Op>(a[i], b);
}

template <int Op>
HP_CLONES void CompareScalarA(float a, const float* b, uint8_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Compare<Op>(a, b[i]);
}

template <int Op>
void RunCompare(Mode mode, const float* a, const float* b, uint8_t* out, int64_t n, int64_t inner) {
  switch (mode) {
    case kSame: CompareSame<Op>(a, b, out, n); break;
    case kScalarB: CompareScalarB<Op>(a, b[0], out, n); break;
    case kScalarA: CompareScalarA<Op>(a[0], b, out, n); break;
    case kCycleB:
      for (int64_t i = 0; i < n; i += inner) CompareSame<Op>(a + i, b, out + i, inner);
      break;
    case kCycleA:
      for (int64_t i = 0; i < n; i += inner) CompareSame<Op>(a, b + i, out + i, inner);
      break;
  }
}

bool BroadcastLengthsOk(int64_t mode, int64_t na, int64_t nb, int64_t n, int64_t inner) {
  switch (mode) {
    case kSame: return na == n && nb == n;
    case kScalarB: return na == n && nb == 1;
    case kScalarA: return na == 1 && nb == n;
    case kCycleB: return inner >= 1 && na == n && nb == inner && n % inner == 0;
    case kCycleA: return inner >= 1 && nb == n && na == inner && n % inner == 0;
    default: return false;
  }
}

// compare(op, a, b, out: Uint8Array, mode, inner): out = a op b as 0/1, broadcast as binary().
napi_value JsCompare(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  int64_t op = 0, mode = 0, inner = 0;
  FloatArray a, b;
  ByteArray out;
  if (!GetInt(env, argv[0], "op", &op) || !GetFloatArray(env, argv[1], "a", &a) || !GetFloatArray(env, argv[2], "b", &b) ||
      !GetByteArray(env, argv[3], "out", &out) || !GetInt(env, argv[4], "mode", &mode) || !GetInt(env, argv[5], "inner", &inner)) {
    return nullptr;
  }
  if (!BroadcastLengthsOk(mode, a.length, b.length, out.length, inner)) {
    return ThrowRange(env, "compare: operand lengths do not match the broadcast mode");
  }
  const Mode m = static_cast<Mode>(mode);
  const int64_t n = out.length;
  switch (op) {
    case kGreater: RunCompare<kGreater>(m, a.data, b.data, out.data, n, inner); break;
    case kGreaterEqual: RunCompare<kGreaterEqual>(m, a.data, b.data, out.data, n, inner); break;
    case kLess: RunCompare<kLess>(m, a.data, b.data, out.data, n, inner); break;
    case kLessEqual: RunCompare<kLessEqual>(m, a.data, b.data, out.data, n, inner); break;
    case kEqual: RunCompare<kEqual>(m, a.data, b.data, out.data, n, inner); break;
    case kNotEqual: RunCompare<kNotEqual>(m, a.data, b.data, out.data, n, inner); break;
    default: return ThrowRange(env, "compare: unknown op");
  }
  return nullptr;
}

// addN(inputs: Float32Array[], out): out = Σ inputs (the gradient of a tensor used twice).
HP_CLONES void AccumulateInto(float* out, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += x[i];
}

napi_value JsAddN(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!GetArgs(env, info, 2, argv)) return nullptr;
  FloatArray out;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &count) != napi_ok) {
    return ThrowType(env, "addN: inputs must be an array of Float32Arrays");
  }
  if (!GetFloatArray(env, argv[1], "out", &out)) return nullptr;
  if (count == 0) return ThrowRange(env, "addN: needs at least one input");
  for (uint32_t i = 0; i < count; ++i) {
    napi_value item;
    FloatArray x;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || !GetFloatArray(env, item, "inputs[i]", &x)) return nullptr;
    if (x.length != out.length) return ThrowRange(env, "addN: inputs differ in length from out");
    if (i == 0) {
      std::memcpy(out.data, x.data, static_cast<size_t>(x.length) * sizeof(float));
    } else {
      AccumulateInto(out.data, x.data, x.length);
    }
  }
  return nullptr;
}

// ---- unary ----------------------------------------------------------------------------------

enum UnaryOp { kRelu = 0, kStep = 1, kSquare = 2, kNeg = 3, kSqrt = 4, kRsqrt = 5, kAbs = 6, kReciprocal = 7 };

template <int Op>
HP_CLONES void Unary(const float* x, float* out, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    float r;
    if (Op == kRelu) {
      r = v < 0.0f ? 0.0f : v;  // max(0, x): NaN stays NaN
    } else if (Op == kStep) {
      r = v != v ? v : (v > 0.0f ? 1.0f : alpha);
    } else if (Op == kSquare) {
      r = v * v;
    } else if (Op == kNeg) {
      r = -v;
    } else if (Op == kSqrt) {
      r = static_cast<float>(std::sqrt(static_cast<double>(v)));
    } else if (Op == kRsqrt) {
      r = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v)));
    } else if (Op == kAbs) {
      r = std::fabs(v);
    } else {
      r = static_cast<float>(1.0 / static_cast<double>(v));
    }
    out[i] = r;
  }
}

// unary(op, x, out, alpha)
napi_value JsUnary(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!GetArgs(env, info, 4, argv)) return nullptr;
  int64_t op = 0;
  double alpha = 0;
  FloatArray x, out;
  if (!GetInt(env, argv[0], "op", &op) || !GetFloatArray(env, argv[1], "x", &x) || !GetFloatArray(env, argv[2], "out", &out) ||
      !GetDouble(env, argv[3], "alpha", &alpha)) {
    return nullptr;
  }
  if (x.length != out.length) return ThrowRange(env, "unary: x and out differ in length");
  const float al = static_cast<float>(alpha);
  switch (op) {
    case kRelu: Unary<kRelu>(x.data, out.data, x.length, al); break;
    case kStep: Unary<kStep>(x.data, out.data, x.length, al); break;
    case kSquare: Unary<kSquare>(x.data, out.data, x.length, al); break;
    case kNeg: Unary<kNeg>(x.data, out.data, x.length, al); break;
    case kSqrt: Unary<kSqrt>(x.data, out.data, x.length, al); break;
    case kRsqrt: Unary<kRsqrt>(x.data, out.data, x.length, al); break;
    case kAbs: Unary<kAbs>(x.data, out.data, x.length, al); break;
    case kReciprocal: Unary<kReciprocal>(x.data, out.data, x.length, al); break;
    default: return ThrowRange(env, "unary: unknown op");
  }
  return nullptr;
}

// ---- reductions -----------------------------------------------------------------------------

enum ReduceOp { kSum = 0, kMean = 1, kMaxR = 2 };

// Per-thread accumulators (one trial per worker thread).
thread_local std::vector<double> tl_acc;

HP_CLONES void AccumulateRow(double* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(x[i]);
}

HP_CLONES void MaxRow(float* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    // tfjs' Max on cpu: `value > max` (NaN never wins unless first); we keep the same rule.
    acc[i] = v > acc[i] ? v : acc[i];
  }
}

double SumContiguous(const float* x, int64_t n) {
  // Eight partial sums: independent dependency chains, and pairwise-like accuracy.
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += static_cast<double>(x[i + j]);
  }
  for (; i < n; ++i) s[0] += static_cast<double>(x[i]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// x viewed as [outer, mid, inner] reduced over mid into out [outer, inner]: any reduction over
// one contiguous block of axes (leading, trailing or in between) after size-1 axes are dropped.
void Reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t mid, int64_t inner) {
  if (op == kMaxR) {
    for (int64_t o = 0; o < outer; ++o) {
      float* acc = out + o * inner;
      const float* xo = x + o * mid * inner;
      std::memcpy(acc, xo, static_cast<size_t>(inner) * sizeof(float));
      for (int64_t m = 1; m < mid; ++m) MaxRow(acc, xo + m * inner, inner);
    }
    return;
  }
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const double s = SumContiguous(x + o * mid, mid);
      out[o] = static_cast<float>(op == kMean ? s / static_cast<double>(mid) : s);
    }
    return;
  }
  if (tl_acc.size() < static_cast<size_t>(inner)) tl_acc.resize(static_cast<size_t>(inner));
  double* acc = tl_acc.data();
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc, acc + inner, 0.0);
    const float* xo = x + o * mid * inner;
    for (int64_t m = 0; m < mid; ++m) AccumulateRow(acc, xo + m * inner, inner);
    float* oo = out + o * inner;
    for (int64_t i = 0; i < inner; ++i) oo[i] = static_cast<float>(op == kMean ? acc[i] / static_cast<double>(mid) : acc[i]);
  }
}

// reduce(op, x, out, outer, mid, inner)
napi_value JsReduce(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  int64_t op = 0, outer = 0, mid = 0, inner = 0;
  FloatArray x, out;
  if (!GetInt(env, argv[0], "op", &op) || !GetFloatArray(env, argv[1], "x", &x) || !GetFloatArray(env, argv[2], "out", &out) ||
      !GetInt(env, argv[3], "outer", &outer) || !GetInt(env, argv[4], "mid", &mid) || !GetInt(env, argv[5], "inner", &inner)) {
    return nullptr;
  }
  if (op < kSum || op > kMaxR) return ThrowRange(env, "reduce: unknown op");
  if (outer < 0 || mid < 1 || inner < 0 || x.length != outer * mid * inner || out.length != outer * inner) {
    return ThrowRange(env, "reduce: lengths do not match [outer, mid, inner]");
  }
  Reduce(static_cast<ReduceOp>(op), x.data, out.data, outer, mid, inner);
  return nullptr;
}

// ---- tile -----------------------------------------------------------------------------------

// Copies x (shape[d..]) tiled reps[d..] times into out; the innermost axis is copied as runs.
void TileRec(const float* x, float* out, const int32_t* shape, const int32_t* reps, int rank, int d, const int64_t* in_stride,
             const int64_t* out_stride) {
  if (d == rank - 1) {
    const int64_t len = shape[d];
    for (int32_t r = 0; r < reps[d]; ++r) std::memcpy(out + r * len, x, static_cast<size_t>(len) * sizeof(float));
    return;
  }
  // Fill the first repetition element by element, then copy it whole for the others.
  for (int32_t i = 0; i < shape[d]; ++i) {
    TileRec(x + i * in_stride[d], out + i * out_stride[d], shape, reps, rank, d + 1, in_stride, out_stride);
  }
  const int64_t block = static_cast<int64_t>(shape[d]) * out_stride[d];
  for (int32_t r = 1; r < reps[d]; ++r) std::memcpy(out + r * block, out, static_cast<size_t>(block) * sizeof(float));
}

// tile(x, out, shape: Int32Array, reps: Int32Array)
napi_value JsTile(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!GetArgs(env, info, 4, argv)) return nullptr;
  FloatArray x, out;
  IntArray shape, reps;
  if (!GetFloatArray(env, argv[0], "x", &x) || !GetFloatArray(env, argv[1], "out", &out) || !GetIntArray(env, argv[2], "shape", &shape) ||
      !GetIntArray(env, argv[3], "reps", &reps)) {
    return nullptr;
  }
  const int rank = static_cast<int>(shape.length);
  if (rank < 1 || rank > 8 || reps.length != shape.length) return ThrowRange(env, "tile: rank must be 1..8 with one rep per axis");
  int64_t in_stride[8], out_stride[8];
  int64_t in_size = 1, out_size = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (shape.data[d] < 0 || reps.data[d] < 0) return ThrowRange(env, "tile: negative size");
    in_stride[d] = in_size;
    out_stride[d] = out_size;
    in_size *= shape.data[d];
    out_size *= static_cast<int64_t>(shape.data[d]) * reps.data[d];
  }
  if (x.length != in_size || out.length != out_size) return ThrowRange(env, "tile: lengths do not match shape and reps");
  if (out_size > 0) TileRec(x.data, out.data, shape.data, reps.data, rank, 0, in_stride, out_stride);
  return nullptr;
}

// ---- batch norm (inference form, which training also uses with the batch moments) ----------

HP_CLONES void NormalizeRow(const float* x, const float* mu, const float* k, const float* c, float* out, int64_t channels) {
  for (int64_t ch = 0; ch < channels; ++ch) out[ch] = (x[ch] - mu[ch]) * k[ch] + c[ch];
}

// out = offset + (x − mean) · scale / sqrt(variance + eps), each parameter of length `channels`
// (the last axis) or 1, as tfjs' FusedBatchNorm on cpu computes it (sqrt in double).
napi_value JsBatchNorm(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!GetArgs(env, info, 8, argv)) return nullptr;
  FloatArray x, mean, var, offset, scale, out;
  int64_t channels = 0;
  double eps = 0;
  if (!GetFloatArray(env, argv[0], "x", &x) || !GetFloatArray(env, argv[1], "mean", &mean) || !GetFloatArray(env, argv[2], "variance", &var) ||
      !GetOptionalFloatArray(env, argv[3], "offset", &offset) || !GetOptionalFloatArray(env, argv[4], "scale", &scale) ||
      !GetFloatArray(env, argv[5], "out", &out) || !GetInt(env, argv[6], "channels", &channels) || !GetDouble(env, argv[7], "epsilon", &eps)) {
    return nullptr;
  }
  auto fits = [channels](const FloatArray& p) { return p.data == nullptr || p.length == channels || p.length == 1; };
  if (channels < 1 || x.length != out.length || x.length % channels != 0 || !fits(mean) || !fits(var) || !fits(offset) || !fits(scale) ||
      mean.data == nullptr || var.data == nullptr) {
    return ThrowRange(env, "batchNorm: parameters must have one value per channel (or one value)");
  }
  // y = (x − mean)·k + offset with k = scale / sqrt(var + eps) once per channel (in double);
  // subtracting the mean first avoids the cancellation of the x·k + c form.
  std::vector<float> k(static_cast<size_t>(channels)), mu(static_cast<size_t>(channels)), c(static_cast<size_t>(channels));
  for (int64_t ch = 0; ch < channels; ++ch) {
    auto at = [ch](const FloatArray& p, float dflt) { return p.data == nullptr ? dflt : p.data[p.length == 1 ? 0 : ch]; };
    const double inv = 1.0 / std::sqrt(static_cast<double>(at(var, 0.0f)) + eps);
    const double kk = static_cast<double>(at(scale, 1.0f)) * inv;
    k[ch] = static_cast<float>(kk);
    mu[ch] = at(mean, 0.0f);
    c[ch] = at(offset, 0.0f);
  }
  float* o = out.data;
  const float* xi = x.data;
  for (int64_t i = 0; i < x.length; i += channels) NormalizeRow(xi + i, mu.data(), k.data(), c.data(), o + i, channels);
  return nullptr;
}

// One row (pixel) of the two per-channel sums of batchNormGrad.
HP_CLONES void BatchNormGradSums(const float* dy, const float* x, const float* mean, double* s1, double* s2, int64_t channels) {
  for (int64_t c = 0; c < channels; ++c) {
    const double d = static_cast<double>(dy[c]);
    s1[c] += d;
    s2[c] += d * static_cast<double>(x[c] - mean[c]);
  }
}

HP_CLONES void ScaleRow(const float* x, const float* k, float* out, int64_t channels) {
  for (int64_t c = 0; c < channels; ++c) out[c] = x[c] * k[c];
}

// batchNormGrad(dy, x, mean, variance, scale | null, channels, epsilon, dx, dmean, dvar, dscale, doffset)
//
// Every gradient of FusedBatchNorm (y = (x − mean)·scale·r + offset, r = 1/√(var + eps)) with
// per-channel parameters, from two per-channel sums S1 = Σ dy and S2 = Σ dy·(x − mean):
//   dx = dy·scale·r, dmean = −scale·r·S1, dvar = −½·scale·r³·S2, dscale = r·S2, doffset = S1.
// tfjs composes these from ~13 passes over the activation (gradients/FusedBatchNorm_grad.ts);
// here they take two. Sums in double, as the cpu backend's Sum.
napi_value JsBatchNormGrad(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!GetArgs(env, info, 12, argv)) return nullptr;
  FloatArray dy, x, mean, var, scale, dx, dmean, dvar, dscale, doffset;
  int64_t channels = 0;
  double eps = 0;
  if (!GetFloatArray(env, argv[0], "dy", &dy) || !GetFloatArray(env, argv[1], "x", &x) || !GetFloatArray(env, argv[2], "mean", &mean) ||
      !GetFloatArray(env, argv[3], "variance", &var) || !GetOptionalFloatArray(env, argv[4], "scale", &scale) ||
      !GetInt(env, argv[5], "channels", &channels) || !GetDouble(env, argv[6], "epsilon", &eps) || !GetFloatArray(env, argv[7], "dx", &dx) ||
      !GetFloatArray(env, argv[8], "dmean", &dmean) || !GetFloatArray(env, argv[9], "dvar", &dvar) ||
      !GetFloatArray(env, argv[10], "dscale", &dscale) || !GetFloatArray(env, argv[11], "doffset", &doffset)) {
    return nullptr;
  }
  const int64_t n = x.length;
  auto per = [channels](const FloatArray& p) { return p.length == channels; };
  if (channels < 1 || n % channels != 0 || dy.length != n || dx.length != n || !per(mean) || !per(var) ||
      (scale.data != nullptr && !per(scale)) || !per(dmean) || !per(dvar) || !per(dscale) || !per(doffset)) {
    return ThrowRange(env, "batchNormGrad: x, dy, dx must match and every parameter have one value per channel");
  }
  if (tl_acc.size() < static_cast<size_t>(2 * channels)) tl_acc.resize(static_cast<size_t>(2 * channels));
  double* s1 = tl_acc.data();
  double* s2 = s1 + channels;
  std::fill(s1, s1 + 2 * channels, 0.0);
  for (int64_t i = 0; i < n; i += channels) BatchNormGradSums(dy.data + i, x.data + i, mean.data, s1, s2, channels);
  std::vector<float> k(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double r = 1.0 / std::sqrt(static_cast<double>(var.data[c]) + eps);
    const double g = scale.data == nullptr ? 1.0 : static_cast<double>(scale.data[c]);
    k[c] = static_cast<float>(g * r);
    dmean.data[c] = static_cast<float>(-g * r * s1[c]);
    dvar.data[c] = static_cast<float>(-0.5 * g * r * r * r * s2[c]);
    dscale.data[c] = static_cast<float>(r * s2[c]);
    doffset.data[c] = static_cast<float>(s1[c]);
  }
  for (int64_t i = 0; i < n; i += channels) ScaleRow(dy.data + i, k.data(), dx.data + i, channels);
  return nullptr;
}

}  // namespace

void InitElementwise(napi_env env, napi_value exports) {
  SetFunction(env, exports, "binary", JsBinary);
  SetFunction(env, exports, "addN", JsAddN);
  SetFunction(env, exports, "unary", JsUnary);
  SetFunction(env, exports, "reduce", JsReduce);
  SetFunction(env, exports, "tile", JsTile);
  SetFunction(env, exports, "batchNorm", JsBatchNorm);
  SetFunction(env, exports, "batchNormGrad", JsBatchNormGrad);
  SetFunction(env, exports, "compare", JsCompare);
}

}  // namespace hp
