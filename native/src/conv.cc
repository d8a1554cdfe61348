// NHWC 2D convolution (Conv1D runs as Conv2D on [N, 1, W, C]) on the blocked GEMM, with the
// im2col matrix packed straight from the image instead of being written out (implicit GEMM):
//
//   forward          y[M, OC]   = im2col(x)[M, K] · w[K, OC]          (+ bias, ReLU in the epilogue)
//   filter gradient  dwᵀ[OC, K] = dyᵀ[OC, M] · im2col(x)[M, K]          then transposed into dw[K, OC]
//   input gradient   stride 1:  a forward convolution of dy with the flipped, transposed filter;
//                    otherwise: dcol[M, K] = dy · wᵀ in row chunks, scattered back (col2im)
//
// with M = N·OH·OW output pixels and K = KH·KW·C filter taps × channels, k = (kh·KW + kw)·C + c,
// which is tfjs' [KH, KW, C, OC] filter layout read as a [K, OC] matrix. 3×3 stride-1 layers of
// 16+ channels (every cnn2d block conv, forward and both gradients) take Winograd F(4×4, 3×3)
// instead (winograd.cc; measurements in docs/performance.md, "Winograd").
#include "scratch.h"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "conv_geom.h"
#include "gemm.h"
#include "gemm_driver.h"
#include "napi_util.h"

namespace hp {
namespace {

using Geom = ConvGeom;

// Per-thread scratch (flipped filters, dwᵀ, col2im chunks): one trial per worker thread.
thread_local AlignedScratch tl_filter;
thread_local AlignedScratch tl_work;

// Decodes output pixel m into (image, row, column).
struct Pixel {
  int64_t n, y, x;
};
inline Pixel DecodePixel(const Geom& g, int64_t m) {
  const int64_t x = m % g.ow;
  const int64_t t = m / g.ow;
  return {t / g.oh, t % g.oh, x};
}

// im2col(x) as the A operand: row m is output pixel m, column k is (tap, channel).
class Im2colA final : public PackA {
 public:
  Im2colA(const Geom& g, const float* x) : g_(g), x_(x) {}

  void Pack(int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) const override {
    const int64_t M = g_.M();
    const int64_t t_first = k0 / g_.c, t_last = (k0 + kc - 1) / g_.c;
    for (int64_t ir = 0; ir < mc; ir += kMR) {
      Pixel px[kMR];
      bool valid[kMR];
      for (int r = 0; r < kMR; ++r) {
        const int64_t m = i0 + ir + r;
        valid[r] = r < mc - ir && m < M;
        if (valid[r]) px[r] = DecodePixel(g_, m);
      }
      float* d = dst + ir * kc;
      for (int64_t t = t_first; t <= t_last; ++t) {
        const int64_t c_lo = std::max(k0, t * g_.c) - t * g_.c;
        const int64_t c_hi = std::min(k0 + kc, (t + 1) * g_.c) - t * g_.c;
        const int64_t fy = (t / g_.kw) * g_.dh - g_.pt, fx = (t % g_.kw) * g_.dw - g_.pl;
        const float* rows[kMR];
        for (int r = 0; r < kMR; ++r) {
          rows[r] = nullptr;
          if (!valid[r]) continue;
          const int64_t y = px[r].y * g_.sh + fy, x = px[r].x * g_.sw + fx;
          if (y >= 0 && y < g_.ih && x >= 0 && x < g_.iw) rows[r] = x_ + ((px[r].n * g_.ih + y) * g_.iw + x) * g_.c + c_lo;
        }
        PackRowsMR(rows, c_hi - c_lo, d + (t * g_.c + c_lo - k0) * kMR);
      }
    }
  }

 private:
  const Geom& g_;
  const float* x_;
};

// im2col(x) as the B operand (rows: output pixels, the reduction of the filter gradient;
// columns: (tap, channel)). A micro-panel of kNR columns within one tap is one contiguous
// channel run per pixel, so each row packs as a plain copy.
class Im2colB final : public PackB {
 public:
  Im2colB(const Geom& g, const float* x) : g_(g), x_(x) {}

  void Pack(int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) const override {
    const int64_t K = g_.K();
    for (int64_t jr = 0; jr < nc; jr += kNR) {
      const int64_t j = j0 + jr;
      const int64_t cols = std::min<int64_t>({kNR, nc - jr, K - j});
      float* d = dst + jr * kc;
      const int64_t t = j / g_.c, c0 = j % g_.c;
      if (c0 + cols <= g_.c) {
        const int64_t fy = (t / g_.kw) * g_.dh - g_.pt, fx = (t % g_.kw) * g_.dw - g_.pl;
        Pixel p = DecodePixel(g_, k0);
        const float* xc = x_ + c0;
        for (int64_t k = 0; k < kc; ++k) {
          const int64_t y = p.y * g_.sh + fy, x = p.x * g_.sw + fx;
          const bool in = y >= 0 && y < g_.ih && x >= 0 && x < g_.iw;
          float* dk = d + k * kNR;
          if (in && cols == kNR) {
            // The common case, a whole panel row: a fixed-size copy the compiler inlines.
            std::memcpy(dk, xc + ((p.n * g_.ih + y) * g_.iw + x) * g_.c, kNR * sizeof(float));
          } else {
            PackRowNR(in ? xc + ((p.n * g_.ih + y) * g_.iw + x) * g_.c : nullptr, cols, dk);
          }
          if (++p.x == g_.ow) {
            p.x = 0;
            if (++p.y == g_.oh) {
              p.y = 0;
              ++p.n;
            }
          }
        }
      } else {
        // The panel straddles taps (C not a multiple of 16, e.g. the 1-channel stem): per element.
        Pixel p = DecodePixel(g_, k0);
        for (int64_t k = 0; k < kc; ++k) {
          float* dk = d + k * kNR;
          for (int64_t q = 0; q < kNR; ++q) {
            float v = 0.0f;
            if (q < cols) {
              const int64_t tq = (j + q) / g_.c, cq = (j + q) % g_.c;
              const int64_t y = p.y * g_.sh + (tq / g_.kw) * g_.dh - g_.pt;
              const int64_t x = p.x * g_.sw + (tq % g_.kw) * g_.dw - g_.pl;
              if (y >= 0 && y < g_.ih && x >= 0 && x < g_.iw) v = x_[((p.n * g_.ih + y) * g_.iw + x) * g_.c + cq];
            }
            dk[q] = v;
          }
          if (++p.x == g_.ow) {
            p.x = 0;
            if (++p.y == g_.oh) {
              p.y = 0;
              ++p.n;
            }
          }
        }
      }
    }
  }

 private:
  const Geom& g_;
  const float* x_;
};

using Activation = ConvActivation;

// y = act(y + bias) on a finished block, while it is in cache.
class BiasActivation final : public Epilogue {
 public:
  BiasActivation(const float* bias, Activation act) : bias_(bias), act_(act) {}
  void Apply(float* c, int64_t ldc, int64_t, int64_t mc, int64_t j0, int64_t nc) const override {
    for (int64_t i = 0; i < mc; ++i) {
      float* ci = c + i * ldc;
      if (bias_ != nullptr) {
        const float* b = bias_ + j0;
        for (int64_t j = 0; j < nc; ++j) ci[j] += b[j];
      }
      if (act_ == kRelu) {
        // max(0, x) as tfjs computes it: NaN stays NaN (the trainer fails a trial on a NaN loss).
        for (int64_t j = 0; j < nc; ++j) ci[j] = ci[j] < 0.0f ? 0.0f : ci[j];
      }
    }
  }

 private:
  const float* bias_;
  Activation act_;
};

// HPSEARCH_NATIVE_NO_WINOGRAD=1 forces the direct (im2col) products, to compare the two.
bool UseWinograd() {
  static const bool use = std::getenv("HPSEARCH_NATIVE_NO_WINOGRAD") == nullptr;
  return use;
}

void ConvForward(const Geom& g, const float* x, const float* w, float* y, const float* bias, Activation act) {
  if (UseWinograd() && WinogradConv3x3(g, x, w, y, bias, act)) return;
  const Im2colA a(g, x);
  const StridedB b(w, g.oc, false);
  const BiasActivation epi(bias, act);
  const bool fused = bias != nullptr || act != kLinear;
  GemmRun(g.M(), g.oc, g.K(), 1.0f, a, b, 0.0f, y, g.oc, fused ? &epi : nullptr);
}

bool ConvBackpropFilter(const Geom& g, const float* x, const float* dy, float* dw) {
  if (UseWinograd() && WinogradFilterGrad3x3(g, x, dy, dw)) return true;
  const int64_t K = g.K();
  float* dwt = tl_work.Get(g.oc * K);
  if (dwt == nullptr) return false;
  const StridedA a(dy, g.oc, true);  // dy stored [M, OC]: dyᵀ
  const Im2colB b(g, x);
  GemmRun(g.oc, K, g.M(), 1.0f, a, b, 0.0f, dwt, K, nullptr);
  // dwᵀ [OC, K] → dw [K, OC], in tiles so both sides stay in cache.
  constexpr int64_t kT = 32;
  for (int64_t k0 = 0; k0 < K; k0 += kT) {
    for (int64_t o0 = 0; o0 < g.oc; o0 += kT) {
      const int64_t k1 = std::min(K, k0 + kT), o1 = std::min(g.oc, o0 + kT);
      for (int64_t k = k0; k < k1; ++k) {
        for (int64_t o = o0; o < o1; ++o) dw[k * g.oc + o] = dwt[o * K + k];
      }
    }
  }
  return true;
}

bool ConvBackpropInput(const Geom& g, const float* dy, const float* w, float* dx) {
  if (g.sh == 1 && g.sw == 1) {
    // dx[ih, iw, c] = Σ dy[ih + pt − kh·dh, iw + pl − kw·dw, o] · w[kh, kw, c, o]: a stride-1
    // convolution of dy with w flipped in space and transposed in channels.
    float* wf = tl_filter.Get(g.kh * g.kw * g.oc * g.c);
    if (wf == nullptr) return false;
    for (int64_t fy = 0; fy < g.kh; ++fy) {
      for (int64_t fx = 0; fx < g.kw; ++fx) {
        const float* src = w + ((g.kh - 1 - fy) * g.kw + (g.kw - 1 - fx)) * g.c * g.oc;  // [C, OC]
        float* d = wf + (fy * g.kw + fx) * g.oc * g.c;                                   // [OC, C]
        for (int64_t ci = 0; ci < g.c; ++ci) {
          for (int64_t o = 0; o < g.oc; ++o) d[o * g.c + ci] = src[ci * g.oc + o];
        }
      }
    }
    const Geom t{g.n, g.oh, g.ow, g.oc, g.ih, g.iw, g.c, g.kh, g.kw, 1, 1, g.dh, g.dw,
                 (g.kh - 1) * g.dh - g.pt, (g.kw - 1) * g.dw - g.pl};
    ConvForward(t, dy, wf, dx, nullptr, kLinear);
    return true;
  }
  // Strided: dcol = dy · wᵀ for a chunk of output pixels (kept in L2), then scattered into dx.
  const int64_t K = g.K(), M = g.M();
  const int64_t chunk = std::max<int64_t>(kMR, std::min<int64_t>(M, (int64_t{1} << 17) / std::max<int64_t>(K, 1)));
  float* col = tl_work.Get(chunk * K);
  if (col == nullptr) return false;
  std::memset(dx, 0, static_cast<size_t>(g.n * g.ih * g.iw * g.c) * sizeof(float));
  for (int64_t m0 = 0; m0 < M; m0 += chunk) {
    const int64_t mc = std::min(chunk, M - m0);
    sgemm(false, true, mc, K, g.oc, 1.0f, dy + m0 * g.oc, g.oc, w, g.oc, 0.0f, col, K);
    for (int64_t i = 0; i < mc; ++i) {
      const Pixel p = DecodePixel(g, m0 + i);
      for (int64_t t = 0; t < g.kh * g.kw; ++t) {
        const int64_t y = p.y * g.sh + (t / g.kw) * g.dh - g.pt, x = p.x * g.sw + (t % g.kw) * g.dw - g.pl;
        if (y < 0 || y >= g.ih || x < 0 || x >= g.iw) continue;
        float* d = dx + ((p.n * g.ih + y) * g.iw + x) * g.c;
        const float* s = col + i * K + t * g.c;
        for (int64_t ci = 0; ci < g.c; ++ci) d[ci] += s[ci];
      }
    }
  }
  return true;
}

// geometry: Int32Array [N, IH, IW, C, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL].
bool GetGeom(napi_env env, napi_value v, Geom* g) {
  IntArray a;
  if (!GetIntArray(env, v, "geometry", &a)) return false;
  if (a.length != 15) {
    ThrowRange(env, "conv: geometry must have 15 entries [N, IH, IW, C, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL]");
    return false;
  }
  const int32_t* q = a.data;
  *g = Geom{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14]};
  for (int i = 0; i < 13; ++i) {
    if (q[i] < 1) {
      ThrowRange(env, "conv: sizes, strides and dilations must be positive");
      return false;
    }
  }
  // Padding needs no check: every im2col read is bounds-checked against the input, so any
  // padding (even one that leaves output pixels wholly outside the image) reads zeros.
  return true;
}

bool CheckLength(napi_env env, const FloatArray& a, int64_t want, const char* what) {
  if (a.length == want) return true;
  char msg[160];
  std::snprintf(msg, sizeof msg, "conv: %s has %lld elements, the geometry needs %lld", what,
                static_cast<long long>(a.length), static_cast<long long>(want));
  ThrowRange(env, msg);
  return false;
}

// conv2d(x, w, y, geometry, bias | null, activation: 0 linear | 1 relu)
napi_value JsConv2d(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  Geom g;
  FloatArray x, w, y, bias;
  int64_t act = 0;
  if (!GetFloatArray(env, argv[0], "x", &x) || !GetFloatArray(env, argv[1], "w", &w) ||
      !GetFloatArray(env, argv[2], "y", &y) || !GetGeom(env, argv[3], &g) ||
      !GetOptionalFloatArray(env, argv[4], "bias", &bias) || !GetInt(env, argv[5], "activation", &act)) {
    return nullptr;
  }
  if (!CheckLength(env, x, g.n * g.ih * g.iw * g.c, "x") || !CheckLength(env, w, g.K() * g.oc, "w") ||
      !CheckLength(env, y, g.M() * g.oc, "y") || (bias.data != nullptr && !CheckLength(env, bias, g.oc, "bias"))) {
    return nullptr;
  }
  if (act != kLinear && act != kRelu) return ThrowRange(env, "conv2d: activation must be 0 (linear) or 1 (relu)");
  ConvForward(g, x.data, w.data, y.data, bias.data, static_cast<Activation>(act));
  return nullptr;
}

// conv2dBackpropInput(dy, w, dx, geometry): geometry of the forward convolution.
napi_value JsConv2dBackpropInput(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!GetArgs(env, info, 4, argv)) return nullptr;
  Geom g;
  FloatArray dy, w, dx;
  if (!GetFloatArray(env, argv[0], "dy", &dy) || !GetFloatArray(env, argv[1], "w", &w) ||
      !GetFloatArray(env, argv[2], "dx", &dx) || !GetGeom(env, argv[3], &g)) {
    return nullptr;
  }
  if (!CheckLength(env, dy, g.M() * g.oc, "dy") || !CheckLength(env, w, g.K() * g.oc, "w") ||
      !CheckLength(env, dx, g.n * g.ih * g.iw * g.c, "dx")) {
    return nullptr;
  }
  if (!ConvBackpropInput(g, dy.data, w.data, dx.data)) return ThrowRange(env, "conv2dBackpropInput: out of memory");
  return nullptr;
}

// conv2dBackpropFilter(x, dy, dw, geometry)
napi_value JsConv2dBackpropFilter(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!GetArgs(env, info, 4, argv)) return nullptr;
  Geom g;
  FloatArray x, dy, dw;
  if (!GetFloatArray(env, argv[0], "x", &x) || !GetFloatArray(env, argv[1], "dy", &dy) ||
      !GetFloatArray(env, argv[2], "dw", &dw) || !GetGeom(env, argv[3], &g)) {
    return nullptr;
  }
  if (!CheckLength(env, x, g.n * g.ih * g.iw * g.c, "x") || !CheckLength(env, dy, g.M() * g.oc, "dy") ||
      !CheckLength(env, dw, g.K() * g.oc, "dw")) {
    return nullptr;
  }
  if (!ConvBackpropFilter(g, x.data, dy.data, dw.data)) return ThrowRange(env, "conv2dBackpropFilter: out of memory");
  return nullptr;
}

}  // namespace

void InitConv(napi_env env, napi_value exports) {
  SetFunction(env, exports, "conv2d", JsConv2d);
  SetFunction(env, exports, "conv2dBackpropInput", JsConv2dBackpropInput);
  SetFunction(env, exports, "conv2dBackpropFilter", JsConv2dBackpropFilter);
}

}  // namespace hp
