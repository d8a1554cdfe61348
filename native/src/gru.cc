// Fused GRU sequence: the forward pass over all timesteps and backpropagation through time in
// two calls, with PyTorch's nn.GRU maths (Cho et al. 2014, "Learning Phrase Representations
// using RNN Encoder-Decoder", with the reset gate applied after the recurrent product as in the
// PyTorch nn.GRU docs and cuDNN):
//
//   r  = σ(x W_ir + b_ir + h W_hr + b_hr)
//   z  = σ(x W_iz + b_iz + h W_hz + b_hz)
//   n  = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))
//   h' = (1 − z) ⊙ n + z ⊙ h                         (h before the first step: 0)
//
// Layouts are the tfjs layer's, row-major: x [B, T, I], W_ih [I, 3H], W_hh [H, 3H], biases [3H],
// gates packed (r, z, n). The forward pass leaves per (b, t) the five vectors the backward pass
// needs, `saved` [B, T, 5H] = (r, z, n, hn = h W_hn + b_hn, h_prev), so nothing is recomputed.
//
// Work split: the input projections of all timesteps are one GEMM [B·T, I]·[I, 3H]; each step
// is one GEMM [B, H]·[H, 3H] plus one fused pass over the gates. The backward pass mirrors
// it: one fused gate pass and one GEMM for dh_prev per step (backwards), then one GEMM each for
// dW_ih, dW_hh and dX over all B·T rows at once.
//
// Single-threaded (each trial owns a core) and re-entrant: scratch is thread_local, since the
// addon is loaded by several worker threads.
#include <node_api.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HP_GRU_X86 1
#endif

#include "gemm.h"
#include "napi_util.h"

namespace hp {
namespace {

struct GruDims {
  int64_t B, T, I, H;
};

// Per-thread scratch that only grows: a training loop calls with the same shapes every step,
// so after the first step no call allocates (or page-faults) again.
float* Scratch(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

thread_local std::vector<float> tl_proj;   // forward: x W_ih for all (b, t) [B·T, 3H]
thread_local std::vector<float> tl_rec;    // forward: h W_hh of one step [B, 3H]
thread_local std::vector<float> tl_dgx;    // backward: d(pre-activations) seen by W_ih [B·T, 3H]
thread_local std::vector<float> tl_dgh;    // backward: d(pre-activations) seen by W_hh [B·T, 3H]
thread_local std::vector<float> tl_dh;     // backward: dL/dh of the current step [B, H]
thread_local std::vector<float> tl_dprev;  // backward: dL/dh of the previous step [B, H]

// out: [B, T, H] (sequences) or [B, H] (last state). saved: [B, T, 5H].
void GruForward(const GruDims& d, const float* x, const float* w_ih, const float* w_hh, const float* b_ih,
                const float* b_hh, bool sequences, float* out, float* saved) {
  const int64_t B = d.B, T = d.T, I = d.I, H = d.H, G = 3 * H, S = 5 * H;
  const GateKernels& k = SelectGateKernels();
  float* proj = Scratch(tl_proj, B * T * G);
  float* rec = Scratch(tl_rec, B * G);
  // Row b·T + t of x is x[b, t]: batch-major rows need no transpose for one GEMM over all steps.
  sgemm(false, false, B * T, G, I, 1.0f, x, I, w_ih, G, 0.0f, proj, G);
  for (int64_t b = 0; b < B; ++b) std::memset(saved + b * T * S + 4 * H, 0, sizeof(float) * H);
  for (int64_t t = 0; t < T; ++t) {
    if (t == 0) {
      std::memset(rec, 0, sizeof(float) * B * G);  // h_0 = 0: skip the product
    } else {
      // h_{t-1} of row b is the h_prev slot of saved[b, t] (rows T·5H apart).
      sgemm(false, false, B, G, H, 1.0f, saved + t * S + 4 * H, T * S, w_hh, G, 0.0f, rec, G);
    }
    for (int64_t b = 0; b < B; ++b) {
      float* s = saved + (b * T + t) * S;
      float* next = t + 1 < T ? saved + (b * T + t + 1) * S + 4 * H : nullptr;
      float* y = sequences ? out + (b * T + t) * H : (t + 1 == T ? out + b * H : nullptr);
      k.forward(H, proj + (b * T + t) * G, rec + b * G, b_ih, b_hh, s, next, y);
    }
  }
}

// dy: [B, T, H] (sequences) or [B, H] (last state). Writes dx [B, T, I], dw_ih [I, 3H],
// dw_hh [H, 3H], db_ih and db_hh [3H] (overwritten, not accumulated).
void GruBackward(const GruDims& d, const float* dy, const float* x, const float* w_ih, const float* w_hh,
                 const float* saved, bool sequences, float* dx, float* dw_ih, float* dw_hh, float* db_ih,
                 float* db_hh) {
  const int64_t B = d.B, T = d.T, I = d.I, H = d.H, G = 3 * H, S = 5 * H;
  const GateKernels& k = SelectGateKernels();
  float* dgx = Scratch(tl_dgx, B * T * G);
  float* dgh = Scratch(tl_dgh, B * T * G);
  float* dh = Scratch(tl_dh, B * H);
  float* dprev = Scratch(tl_dprev, B * H);
  // dL/dh_T comes only from the output; every earlier dL/dh_t also from step t+1.
  if (sequences) {
    std::memset(dh, 0, sizeof(float) * B * H);
  } else {
    std::memcpy(dh, dy, sizeof(float) * B * H);
  }
  for (int64_t t = T - 1; t >= 0; --t) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t row = b * T + t;
      k.backward(H, saved + row * S, dh + b * H, sequences ? dy + row * H : nullptr, dgx + row * G, dgh + row * G,
                 dprev + b * H);
    }
    // dL/dh_{t-1} = dh ⊙ z (written by the gate pass) + d(h W_hh + b_hh) · W_hhᵀ.
    // Not needed at t = 0: h_0 is a constant.
    if (t > 0) sgemm(false, true, B, H, G, 1.0f, dgh + t * G, T * G, w_hh, G, 1.0f, dprev, H);
    float* swap = dh;
    dh = dprev;
    dprev = swap;
  }
  // Whole-sequence products: K = B·T rows each (t = 0 rows of h_prev are 0 and add nothing).
  sgemm(true, false, I, G, B * T, 1.0f, x, I, dgx, G, 0.0f, dw_ih, G);
  sgemm(true, false, H, G, B * T, 1.0f, saved + 4 * H, S, dgh, G, 0.0f, dw_hh, G);
  sgemm(false, true, B * T, I, G, 1.0f, dgx, G, w_ih, G, 0.0f, dx, I);
  std::memset(db_ih, 0, sizeof(float) * G);
  std::memset(db_hh, 0, sizeof(float) * G);
  for (int64_t row = 0; row < B * T; ++row) {
    const float* gx = dgx + row * G;
    const float* gh = dgh + row * G;
    for (int64_t j = 0; j < G; ++j) {
      db_ih[j] += gx[j];
      db_hh[j] += gh[j];
    }
  }
}

// ---- N-API bindings --------------------------------------------------------------------------

bool GetDims(napi_env env, napi_value* argv, GruDims* d) {
  if (!GetInt(env, argv[0], "batch", &d->B) || !GetInt(env, argv[1], "time", &d->T) ||
      !GetInt(env, argv[2], "features", &d->I) || !GetInt(env, argv[3], "units", &d->H)) {
    return false;
  }
  if (d->B < 1 || d->T < 1 || d->I < 1 || d->H < 1) {
    ThrowRange(env, "batch, time, features and units must be positive");
    return false;
  }
  return true;
}

bool CheckLength(napi_env env, const FloatArray& a, int64_t want, const char* what) {
  if (a.length == want) return true;
  char msg[160];
  std::snprintf(msg, sizeof msg, "'%s' has %lld elements, expected %lld", what, static_cast<long long>(a.length),
                static_cast<long long>(want));
  napi_throw_range_error(env, nullptr, msg);
  return false;
}

// gruForward(batch, time, features, units, sequences, x, wIh, wHh, bIh, bHh, out, saved)
napi_value GruForwardJs(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!GetArgs(env, info, 12, argv)) return nullptr;
  GruDims d{};
  bool sequences = false;
  FloatArray x, w_ih, w_hh, b_ih, b_hh, out, saved;
  if (!GetDims(env, argv, &d) || !GetBool(env, argv[4], "sequences", &sequences) ||
      !GetFloatArray(env, argv[5], "x", &x) || !GetFloatArray(env, argv[6], "wIh", &w_ih) ||
      !GetFloatArray(env, argv[7], "wHh", &w_hh) || !GetFloatArray(env, argv[8], "bIh", &b_ih) ||
      !GetFloatArray(env, argv[9], "bHh", &b_hh) || !GetFloatArray(env, argv[10], "out", &out) ||
      !GetFloatArray(env, argv[11], "saved", &saved)) {
    return nullptr;
  }
  const int64_t G = 3 * d.H;
  if (!CheckLength(env, x, d.B * d.T * d.I, "x") || !CheckLength(env, w_ih, d.I * G, "wIh") ||
      !CheckLength(env, w_hh, d.H * G, "wHh") || !CheckLength(env, b_ih, G, "bIh") ||
      !CheckLength(env, b_hh, G, "bHh") || !CheckLength(env, out, d.B * (sequences ? d.T : 1) * d.H, "out") ||
      !CheckLength(env, saved, d.B * d.T * 5 * d.H, "saved")) {
    return nullptr;
  }
  GruForward(d, x.data, w_ih.data, w_hh.data, b_ih.data, b_hh.data, sequences, out.data, saved.data);
  return nullptr;
}

// gruBackward(batch, time, features, units, sequences, dy, x, wIh, wHh, saved,
//             dx, dWIh, dWHh, dBIh, dBHh)
napi_value GruBackwardJs(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!GetArgs(env, info, 15, argv)) return nullptr;
  GruDims d{};
  bool sequences = false;
  FloatArray dy, x, w_ih, w_hh, saved, dx, dw_ih, dw_hh, db_ih, db_hh;
  if (!GetDims(env, argv, &d) || !GetBool(env, argv[4], "sequences", &sequences) ||
      !GetFloatArray(env, argv[5], "dy", &dy) || !GetFloatArray(env, argv[6], "x", &x) ||
      !GetFloatArray(env, argv[7], "wIh", &w_ih) || !GetFloatArray(env, argv[8], "wHh", &w_hh) ||
      !GetFloatArray(env, argv[9], "saved", &saved) || !GetFloatArray(env, argv[10], "dx", &dx) ||
      !GetFloatArray(env, argv[11], "dWIh", &dw_ih) || !GetFloatArray(env, argv[12], "dWHh", &dw_hh) ||
      !GetFloatArray(env, argv[13], "dBIh", &db_ih) || !GetFloatArray(env, argv[14], "dBHh", &db_hh)) {
    return nullptr;
  }
  const int64_t G = 3 * d.H;
  if (!CheckLength(env, dy, d.B * (sequences ? d.T : 1) * d.H, "dy") ||
      !CheckLength(env, x, d.B * d.T * d.I, "x") || !CheckLength(env, w_ih, d.I * G, "wIh") ||
      !CheckLength(env, w_hh, d.H * G, "wHh") || !CheckLength(env, saved, d.B * d.T * 5 * d.H, "saved") ||
      !CheckLength(env, dx, d.B * d.T * d.I, "dx") || !CheckLength(env, dw_ih, d.I * G, "dWIh") ||
      !CheckLength(env, dw_hh, d.H * G, "dWHh") || !CheckLength(env, db_ih, G, "dBIh") ||
      !CheckLength(env, db_hh, G, "dBHh")) {
    return nullptr;
  }
  GruBackward(d, dy.data, x.data, w_ih.data, w_hh.data, saved.data, sequences, dx.data, dw_ih.data, dw_hh.data,
              db_ih.data, db_hh.data);
  return nullptr;
}

// gruKernelName(): which gate kernels run here ("avx2-fma" or "generic").
napi_value GruKernelNameJs(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, SelectGateKernels().name, NAPI_AUTO_LENGTH, &s);
  return s;
}

}  // namespace

void InitGru(napi_env env, napi_value exports) {
  SetFunction(env, exports, "gruForward", GruForwardJs);
  SetFunction(env, exports, "gruBackward", GruBackwardJs);
  SetFunction(env, exports, "gruKernelName", GruKernelNameJs);
}

}  // namespace hp
