// One Adam/AdamW update of one variable in one pass: what src/train/optimizers.ts computes with
// 14 tfjs ops per variable (each a kernel call and a full pass over memory), here as one loop.
//
// Bit-identical to those ops, not just close: every step is the same float32 operation in the
// same order as the op sequence (AdamW.applyGradients), and each tfjs op rounds to float32, so
//   g' = g·f                                     (f: the global-norm clip factor, when given)
//   m' = m·β1 + g'·(1−β1)
//   v' = v·β2 + (g'·g')·(1−β2)
//   u  = (m'/c1) / (√(v'/c2) + ε)                (c1, c2: the bias corrections 1 − βᵗ)
//   u  = u + w·λ                                 (only when λ > 0)
//   w' = w − u·lr
// with each scalar rounded to float32 as tfjs does when it makes a scalar tensor from a JS
// number. Division and sqrt are taken in double and rounded once, as elementwise.cc does for
// RealDiv and Sqrt (the same result as the float operation: double has more than 2·24 + 2 bits,
// so rounding twice cannot differ). The build disables FMA contraction (binding.gyp), so
// a·b + c stays two roundings.
#include <node_api.h>

#include <cmath>
#include <cstdint>

#include "clones.h"
#include "napi_util.h"

namespace hp {
namespace {

struct AdamScalars {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, correction1, correction2, epsilon, lr, decay;
};

template <bool kDecay, bool kClip>
HP_CLONES void AdamLoop(const AdamScalars& s, float clip, const float* w, const float* g, const float* m, const float* v,
                        float* w_out, float* m_out, float* v_out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = kClip ? g[i] * clip : g[i];
    const float mi = m[i] * s.beta1 + gi * s.one_minus_beta1;
    const float vi = v[i] * s.beta2 + (gi * gi) * s.one_minus_beta2;
    const float mh = static_cast<float>(static_cast<double>(mi) / static_cast<double>(s.correction1));
    const float vh = static_cast<float>(static_cast<double>(vi) / static_cast<double>(s.correction2));
    const float den = static_cast<float>(std::sqrt(static_cast<double>(vh))) + s.epsilon;
    float u = static_cast<float>(static_cast<double>(mh) / static_cast<double>(den));
    if (kDecay) u = u + w[i] * s.decay;
    w_out[i] = w[i] - u * s.lr;
    m_out[i] = mi;
    v_out[i] = vi;
  }
}

// adamUpdate(w, g, m, v, wOut, mOut, vOut, scalars, clip): scalars is a Float64Array of
// [β1, 1−β1, β2, 1−β2, c1, c2, ε, lr, λ] as the JS numbers the op sequence would turn into
// float32 scalars; clip is a one-element Float32Array (the clip factor tensor) or null.
napi_value JsAdamUpdate(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!GetArgs(env, info, 9, argv)) return nullptr;
  FloatArray w, g, m, v, w_out, m_out, v_out, clip;
  if (!GetFloatArray(env, argv[0], "w", &w) || !GetFloatArray(env, argv[1], "g", &g) ||
      !GetFloatArray(env, argv[2], "m", &m) || !GetFloatArray(env, argv[3], "v", &v) ||
      !GetFloatArray(env, argv[4], "wOut", &w_out) || !GetFloatArray(env, argv[5], "mOut", &m_out) ||
      !GetFloatArray(env, argv[6], "vOut", &v_out) || !GetOptionalFloatArray(env, argv[8], "clip", &clip)) {
    return nullptr;
  }
  void* raw = nullptr;
  int64_t count = 0;
  if (!GetTyped(env, argv[7], napi_float64_array, &raw, &count) || count != 9) {
    return ThrowType(env, "adamUpdate: scalars must be a Float64Array of 9 numbers");
  }
  const int64_t n = w.length;
  if (g.length != n || m.length != n || v.length != n || w_out.length != n || m_out.length != n || v_out.length != n) {
    return ThrowRange(env, "adamUpdate: w, g, m, v and the outputs differ in length");
  }
  if (clip.data != nullptr && clip.length != 1) return ThrowRange(env, "adamUpdate: clip must hold one value");
  const double* d = static_cast<const double*>(raw);
  const AdamScalars s{static_cast<float>(d[0]), static_cast<float>(d[1]), static_cast<float>(d[2]),
                      static_cast<float>(d[3]), static_cast<float>(d[4]), static_cast<float>(d[5]),
                      static_cast<float>(d[6]), static_cast<float>(d[7]), static_cast<float>(d[8])};
  const bool decay = d[8] > 0;
  const float f = clip.data == nullptr ? 1.0f : clip.data[0];
  if (decay) {
    if (clip.data != nullptr) {
      AdamLoop<true, true>(s, f, w.data, g.data, m.data, v.data, w_out.data, m_out.data, v_out.data, n);
    } else {
      AdamLoop<true, false>(s, f, w.data, g.data, m.data, v.data, w_out.data, m_out.data, v_out.data, n);
    }
  } else if (clip.data != nullptr) {
    AdamLoop<false, true>(s, f, w.data, g.data, m.data, v.data, w_out.data, m_out.data, v_out.data, n);
  } else {
    AdamLoop<false, false>(s, f, w.data, g.data, m.data, v.data, w_out.data, m_out.data, v_out.data, n);
  }
  return nullptr;
}

}  // namespace

void InitAdam(napi_env env, napi_value exports) { SetFunction(env, exports, "adamUpdate", JsAdamUpdate); }

}  // namespace hp
