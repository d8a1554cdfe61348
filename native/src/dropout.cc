// Seeded inverted dropout in one pass: the mask SeededDropout (src/models/layers.ts) draws with
// tf.randomUniform, a JS loop over seedrandom's Alea generator that allocates a fresh array per
// step (cnngru-seed-best: 762 K numbers per step, and the garbage collector's time with them),
// here drawn from the same generator in C++, so the mask is the same bit for bit.
//
// Alea (Johannes Baagøe, 2010; node_modules/seedrandom/lib/alea.js) steps in double arithmetic:
//   t = 2091639·s0 + c·2⁻³²;  s0 ← s1;  s1 ← s2;  c ← ⌊t⌋ (t | 0; t ≥ 0);  s2 ← t − c;  draw s2
// tfjs stores each draw in a Float32Array (rounded once) and the layer keeps the unit where
// draw ≥ rate (rate as a float32 scalar), scaling it by 1/(1 − rate) (float32 too):
//   mask = keep ? scale : 0,   y = x·mask.
// The seeding (Mash of the seed's string) stays in JS: the caller passes the generator's
// state (seedrandom's `state: true` option), so this file holds only the stepping.
#include <node_api.h>

#include <cstdint>

#include "napi_util.h"

namespace hp {
namespace {

struct AleaState {
  double c, s0, s1, s2;
};

void SeededDropout(AleaState st, float rate, float scale, const float* x, float* y, float* mask, int64_t n) {
  constexpr double kTwoPowMinus32 = 2.3283064365386963e-10;
  double c = st.c, s0 = st.s0, s1 = st.s1, s2 = st.s2;
  for (int64_t i = 0; i < n; ++i) {
    const double t = 2091639.0 * s0 + c * kTwoPowMinus32;
    s0 = s1;
    s1 = s2;
    c = static_cast<double>(static_cast<int32_t>(t));
    s2 = t - c;
    const float u = static_cast<float>(s2);
    const float k = u >= rate ? scale : 0.0f;
    mask[i] = k;
    y[i] = x[i] * k;
  }
}

// seededDropout(x, y, mask, state, rate, scale): state a Float64Array [c, s0, s1, s2] (not
// advanced: every call starts from the state it is given, as a fresh generator would).
napi_value JsSeededDropout(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  FloatArray x, y, mask;
  double rate = 0, scale = 0;
  if (!GetFloatArray(env, argv[0], "x", &x) || !GetFloatArray(env, argv[1], "y", &y) ||
      !GetFloatArray(env, argv[2], "mask", &mask) || !GetDouble(env, argv[4], "rate", &rate) ||
      !GetDouble(env, argv[5], "scale", &scale)) {
    return nullptr;
  }
  void* raw = nullptr;
  int64_t count = 0;
  if (!GetTyped(env, argv[3], napi_float64_array, &raw, &count) || count != 4) {
    return ThrowType(env, "seededDropout: state must be a Float64Array [c, s0, s1, s2]");
  }
  if (y.length != x.length || mask.length != x.length) return ThrowRange(env, "seededDropout: x, y and mask differ in length");
  const double* s = static_cast<const double*>(raw);
  SeededDropout(AleaState{s[0], s[1], s[2], s[3]}, static_cast<float>(rate), static_cast<float>(scale), x.data, y.data,
                mask.data, x.length);
  return nullptr;
}

}  // namespace

void InitDropout(napi_env env, napi_value exports) { SetFunction(env, exports, "seededDropout", JsSeededDropout); }

}  // namespace hp
