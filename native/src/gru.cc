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
// Re-entrant: scratch is thread_local, since the addon is loaded by several worker threads; the
// products and gate passes share the trial's kernel threads (parallel.h) row by row.
#include <node_api.h>

#include <algorithm>
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
#include "parallel.h"

namespace hp {
namespace {

// ---- Gate kernels ----------------------------------------------------------------------------
// One batch row of one step. Forward: gx = x W_ih, gh = h W_hh (biases not yet added); s is the
// saved row (its h_prev slot already filled); h' goes to `next` (the h_prev slot of the next
// step) and/or `y` (the output), either of which may be null.
using ForwardRowFn = void (*)(int64_t H, const float* gx, const float* gh, const float* b_ih, const float* b_hh,
                              float* s, float* next, float* y);
// Backward: dh = dL/dh' from later steps, dy = dL/dh' from the output (null if none). Writes
// the pre-activation gradients seen by W_ih (dgx) and by W_hh (dgh, whose n part carries the
// factor r), and the direct part of dL/dh_prev, dh ⊙ z.
using BackwardRowFn = void (*)(int64_t H, const float* s, const float* dh, const float* dy, float* dgx, float* dgh,
                               float* dprev);

struct GateKernels {
  const char* name;
  ForwardRowFn forward;
  BackwardRowFn backward;
};

inline float Sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

void ForwardRowGeneric(int64_t H, const float* gx, const float* gh, const float* b_ih, const float* b_hh, float* s,
                       float* next, float* y) {
  const float* h_prev = s + 4 * H;
  for (int64_t j = 0; j < H; ++j) {
    // Summed as PyTorch does: (x W_i + b_i) + (h W_h + b_h).
    const float r = Sigmoid((gx[j] + b_ih[j]) + (gh[j] + b_hh[j]));
    const float z = Sigmoid((gx[H + j] + b_ih[H + j]) + (gh[H + j] + b_hh[H + j]));
    const float hn = gh[2 * H + j] + b_hh[2 * H + j];
    const float n = std::tanh((gx[2 * H + j] + b_ih[2 * H + j]) + r * hn);
    const float h = n + z * (h_prev[j] - n);  // = (1 − z) n + z h_prev
    s[j] = r;
    s[H + j] = z;
    s[2 * H + j] = n;
    s[3 * H + j] = hn;
    if (next != nullptr) next[j] = h;
    if (y != nullptr) y[j] = h;
  }
}

// With a = pre-activation: dσ(a)/da = σ(1 − σ), dtanh(a)/da = 1 − tanh², so
//   dL/da_n = dh (1 − z)(1 − n²)        dL/da_z = dh (h_prev − n) z (1 − z)
//   dL/da_r = dL/da_n · hn · r (1 − r)   dL/dhn  = dL/da_n · r       dL/dh_prev ∋ dh z
void BackwardRowGeneric(int64_t H, const float* s, const float* dh, const float* dy, float* dgx, float* dgh,
                        float* dprev) {
  for (int64_t j = 0; j < H; ++j) {
    const float g = dy != nullptr ? dh[j] + dy[j] : dh[j];
    const float r = s[j], z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j], hp = s[4 * H + j];
    const float dan = g * (1.0f - z) * (1.0f - n * n);
    const float daz = g * (hp - n) * (z * (1.0f - z));
    const float dar = dan * hn * (r * (1.0f - r));
    dgx[j] = dar;
    dgx[H + j] = daz;
    dgx[2 * H + j] = dan;
    dgh[j] = dar;
    dgh[H + j] = daz;
    dgh[2 * H + j] = dan * r;
    dprev[j] = g * z;
  }
}

#ifdef HP_GRU_X86
#define HP_GRU_AVX2 __attribute__((target("avx2,fma")))

// e^x (Cephes expf): x = k ln2 + f with |f| ≤ ln2/2, e^f by a degree-7 minimax
// polynomial, 2^k through the exponent bits. Relative error ≈ 1 ulp. Inputs are clamped so
// that 2^k stays a normal float; σ and tanh saturate long before the clamp matters.
HP_GRU_AVX2 inline __m256 Exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // f = x − k ln2, with ln2 split in two so that k·ln2_hi is exact.
  __m256 f = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  f = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), f);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(f, f), _mm256_add_ps(f, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

HP_GRU_AVX2 inline __m256 Sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, Exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// tanh as Eigen's float rational approximation (odd degree-13 over even degree-6 polynomial
// on [−7.99, 7.99], beyond which tanh rounds to ±1): relative error of a few ulp, also near 0
// where 1 − 2/(e^{2x} + 1) would cancel.
HP_GRU_AVX2 inline __m256 Tanh8(__m256 a) {
  const __m256 bound = _mm256_set1_ps(7.99881172180175781f);
  const __m256 x = _mm256_min_ps(_mm256_max_ps(a, _mm256_sub_ps(_mm256_setzero_ps(), bound)), bound);
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-2.76076847742355e-16f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.00018790482477e-13f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-8.60467152213735e-11f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(5.12229709037114e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(1.48572235717979e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(6.37261928875436e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(4.89352455891786e-03f));
  p = _mm256_mul_ps(p, x);
  __m256 q = _mm256_set1_ps(1.19825839466702e-06f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(1.18534705686654e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(2.26843463243900e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(4.89352518554385e-03f));
  return _mm256_div_ps(p, q);
}

// Loads and stores of 8 lanes, or of the first `mask` lanes of a row's last partial block.
template <bool kTail>
HP_GRU_AVX2 inline __m256 Load8(const float* p, __m256i mask) {
  return kTail ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

template <bool kTail>
HP_GRU_AVX2 inline void Store8(float* p, __m256i mask, __m256 v) {
  if (kTail) {
    _mm256_maskstore_ps(p, mask, v);
  } else {
    _mm256_storeu_ps(p, v);
  }
}

template <bool kTail>
HP_GRU_AVX2 inline void ForwardLanes(int64_t H, int64_t j, __m256i m, const float* gx, const float* gh,
                                     const float* b_ih, const float* b_hh, float* s, float* next, float* y) {
  const int64_t zj = H + j, nj = 2 * H + j;
  const __m256 ar = _mm256_add_ps(_mm256_add_ps(Load8<kTail>(gx + j, m), Load8<kTail>(b_ih + j, m)),
                                  _mm256_add_ps(Load8<kTail>(gh + j, m), Load8<kTail>(b_hh + j, m)));
  const __m256 az = _mm256_add_ps(_mm256_add_ps(Load8<kTail>(gx + zj, m), Load8<kTail>(b_ih + zj, m)),
                                  _mm256_add_ps(Load8<kTail>(gh + zj, m), Load8<kTail>(b_hh + zj, m)));
  const __m256 r = Sigmoid8(ar);
  const __m256 z = Sigmoid8(az);
  const __m256 hn = _mm256_add_ps(Load8<kTail>(gh + nj, m), Load8<kTail>(b_hh + nj, m));
  const __m256 xn = _mm256_add_ps(Load8<kTail>(gx + nj, m), Load8<kTail>(b_ih + nj, m));
  const __m256 n = Tanh8(_mm256_add_ps(xn, _mm256_mul_ps(r, hn)));
  const __m256 h_prev = Load8<kTail>(s + 4 * H + j, m);
  const __m256 h = _mm256_add_ps(n, _mm256_mul_ps(z, _mm256_sub_ps(h_prev, n)));
  Store8<kTail>(s + j, m, r);
  Store8<kTail>(s + zj, m, z);
  Store8<kTail>(s + nj, m, n);
  Store8<kTail>(s + 3 * H + j, m, hn);
  if (next != nullptr) Store8<kTail>(next + j, m, h);
  if (y != nullptr) Store8<kTail>(y + j, m, h);
}

// The same arithmetic, in the same order, as BackwardRowGeneric (no FMA contraction), so the
// two kernels give bit-identical gradients from the same saved gates.
template <bool kTail>
HP_GRU_AVX2 inline void BackwardLanes(int64_t H, int64_t j, __m256i m, const float* s, const float* dh,
                                      const float* dy, float* dgx, float* dgh, float* dprev) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 g = Load8<kTail>(dh + j, m);
  if (dy != nullptr) g = _mm256_add_ps(g, Load8<kTail>(dy + j, m));
  const __m256 r = Load8<kTail>(s + j, m);
  const __m256 z = Load8<kTail>(s + H + j, m);
  const __m256 n = Load8<kTail>(s + 2 * H + j, m);
  const __m256 hn = Load8<kTail>(s + 3 * H + j, m);
  const __m256 hp = Load8<kTail>(s + 4 * H + j, m);
  const __m256 dan = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(one, z)), _mm256_sub_ps(one, _mm256_mul_ps(n, n)));
  const __m256 daz = _mm256_mul_ps(_mm256_mul_ps(g, _mm256_sub_ps(hp, n)), _mm256_mul_ps(z, _mm256_sub_ps(one, z)));
  const __m256 dar = _mm256_mul_ps(_mm256_mul_ps(dan, hn), _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
  Store8<kTail>(dgx + j, m, dar);
  Store8<kTail>(dgx + H + j, m, daz);
  Store8<kTail>(dgx + 2 * H + j, m, dan);
  Store8<kTail>(dgh + j, m, dar);
  Store8<kTail>(dgh + H + j, m, daz);
  Store8<kTail>(dgh + 2 * H + j, m, _mm256_mul_ps(dan, r));
  Store8<kTail>(dprev + j, m, _mm256_mul_ps(g, z));
}

// Lanes 0..rem−1 set (rem in 1..7).
HP_GRU_AVX2 inline __m256i TailMask(int64_t rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

HP_GRU_AVX2 void ForwardRowAvx2(int64_t H, const float* gx, const float* gh, const float* b_ih, const float* b_hh,
                                float* s, float* next, float* y) {
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) ForwardLanes<false>(H, j, all, gx, gh, b_ih, b_hh, s, next, y);
  if (j < H) ForwardLanes<true>(H, j, TailMask(H - j), gx, gh, b_ih, b_hh, s, next, y);
}

HP_GRU_AVX2 void BackwardRowAvx2(int64_t H, const float* s, const float* dh, const float* dy, float* dgx, float* dgh,
                                 float* dprev) {
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) BackwardLanes<false>(H, j, all, s, dh, dy, dgx, dgh, dprev);
  if (j < H) BackwardLanes<true>(H, j, TailMask(H - j), s, dh, dy, dgx, dgh, dprev);
}
#endif  // HP_GRU_X86

// Chosen once per process (thread-safe static init); HPSEARCH_NATIVE_GENERIC forces the portable
// kernels, as it does for the GEMM, so that path can be tested on an AVX2 machine.
const GateKernels& SelectGateKernels() {
  static const GateKernels kernels = [] {
#ifdef HP_GRU_X86
    if (std::getenv("HPSEARCH_NATIVE_GENERIC") == nullptr && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma")) {
      return GateKernels{"avx2-fma", ForwardRowAvx2, BackwardRowAvx2};
    }
#endif
    return GateKernels{"generic", ForwardRowGeneric, BackwardRowGeneric};
  }();
  return kernels;
}

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
// The recurrent weight packed once per call for its T − 1 products (hp::PackedB; the driver
// multiplies from the same panels it would pack per product, so the sums are the same bits):
// forward W_hh [H, 3H], backward W_hhᵀ [3H, H] (packing that transpose per step was the
// costlier one).
thread_local PackedB tl_w_hh;
thread_local PackedB tl_w_hh_t;

// f(b) for every batch row b of one timestep's gate pass; rows are independent, so groups of
// kGateRows rows (fixed, whatever the thread count) are shared out when the pass is large
// enough to be worth a hand-over (parallel.h).
constexpr int64_t kGateRows = 4;
template <class F>
void ForRowGroups(int64_t B, int64_t H, const F& f) {
  if (Threads() == 1 || B * H < 4096) {
    for (int64_t b = 0; b < B; ++b) f(b);
    return;
  }
  ParallelFor((B + kGateRows - 1) / kGateRows, [&](int64_t g) {
    for (int64_t b = g * kGateRows, end = std::min(B, b + kGateRows); b < end; ++b) f(b);
  });
}

// out: [B, T, H] (sequences) or [B, H] (last state). saved: [B, T, 5H].
void GruForward(const GruDims& d, const float* x, const float* w_ih, const float* w_hh, const float* b_ih,
                const float* b_hh, bool sequences, float* out, float* saved) {
  const int64_t B = d.B, T = d.T, I = d.I, H = d.H, G = 3 * H, S = 5 * H;
  const GateKernels& k = SelectGateKernels();
  float* proj = Scratch(tl_proj, B * T * G);
  float* rec = Scratch(tl_rec, B * G);
  // Row b·T + t of x is x[b, t]: batch-major rows need no transpose for one GEMM over all steps.
  sgemm(false, false, B * T, G, I, 1.0f, x, I, w_ih, G, 0.0f, proj, G);
  const bool packed = T > 1 && tl_w_hh.Pack(false, H, G, w_hh, G);
  for (int64_t b = 0; b < B; ++b) std::memset(saved + b * T * S + 4 * H, 0, sizeof(float) * H);
  for (int64_t t = 0; t < T; ++t) {
    if (t == 0) {
      std::memset(rec, 0, sizeof(float) * B * G);  // h_0 = 0: skip the product
    } else {
      // h_{t-1} of row b is the h_prev slot of saved[b, t] (rows T·5H apart).
      const float* h_prev = saved + t * S + 4 * H;
      if (packed) {
        sgemm_prepacked(false, B, 1.0f, h_prev, T * S, tl_w_hh, 0.0f, rec, G);
      } else {
        sgemm(false, false, B, G, H, 1.0f, h_prev, T * S, w_hh, G, 0.0f, rec, G);
      }
    }
    ForRowGroups(B, H, [&](int64_t b) {
      float* s = saved + (b * T + t) * S;
      float* next = t + 1 < T ? saved + (b * T + t + 1) * S + 4 * H : nullptr;
      float* y = sequences ? out + (b * T + t) * H : (t + 1 == T ? out + b * H : nullptr);
      k.forward(H, proj + (b * T + t) * G, rec + b * G, b_ih, b_hh, s, next, y);
    });
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
  const bool packed = T > 1 && tl_w_hh_t.Pack(true, G, H, w_hh, G);
  // dL/dh_T comes only from the output; every earlier dL/dh_t also from step t+1.
  if (sequences) {
    std::memset(dh, 0, sizeof(float) * B * H);
  } else {
    std::memcpy(dh, dy, sizeof(float) * B * H);
  }
  for (int64_t t = T - 1; t >= 0; --t) {
    ForRowGroups(B, H, [&](int64_t b) {
      const int64_t row = b * T + t;
      k.backward(H, saved + row * S, dh + b * H, sequences ? dy + row * H : nullptr, dgx + row * G, dgh + row * G,
                 dprev + b * H);
    });
    // dL/dh_{t-1} = dh ⊙ z (written by the gate pass) + d(h W_hh + b_hh) · W_hhᵀ.
    // Not needed at t = 0: h_0 is a constant.
    if (t > 0 && packed) {
      sgemm_prepacked(false, B, 1.0f, dgh + t * G, T * G, tl_w_hh_t, 1.0f, dprev, H);
    } else if (t > 0) {
      sgemm(false, true, B, H, G, 1.0f, dgh + t * G, T * G, w_hh, G, 1.0f, dprev, H);
    }
    float* swap = dh;
    dh = dprev;
    dprev = swap;
  }
  // Whole-sequence products: K = B·T rows each (t = 0 rows of h_prev are 0 and add nothing).
  sgemm(true, false, I, G, B * T, 1.0f, x, I, dgx, G, 0.0f, dw_ih, G);
  sgemm(true, false, H, G, B * T, 1.0f, saved + 4 * H, S, dgh, G, 0.0f, dw_hh, G);
  sgemm(false, true, B * T, I, G, 1.0f, dgx, G, w_ih, G, 0.0f, dx, I);
  // Bias gradients: column sums over the rows, in row order. dgh's r and z columns are dgx's
  // (the same values, so the same sums): only its n column needs a pass of its own.
  std::memset(db_ih, 0, sizeof(float) * G);
  std::memset(db_hh + 2 * H, 0, sizeof(float) * H);
  for (int64_t row = 0; row < B * T; ++row) {
    const float* __restrict gx = dgx + row * G;
    const float* __restrict gh = dgh + row * G + 2 * H;
    float* __restrict sx = db_ih;
    float* __restrict sh = db_hh + 2 * H;
    for (int64_t j = 0; j < G; ++j) sx[j] += gx[j];
    for (int64_t j = 0; j < H; ++j) sh[j] += gh[j];
  }
  std::memcpy(db_hh, db_ih, sizeof(float) * 2 * H);
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
