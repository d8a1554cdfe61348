// Winograd convolution F(m×m, 3×3) (Lavin & Gray 2016), NHWC, for m = 4 (default) and m = 2:
// each m×m block of outputs comes from an n×n input tile (n = m + 2), and in the transformed
// domain the 3×3 kernel becomes an element-wise product, i.e. n² matrix products
// [tiles, C]·[C, OC] instead of one [pixels, 9C]·[9C, OC]:
//
//   V = Bᵀ d B (input tile),  U = G g Gᵀ (filter),  M_ξ = V_ξ · U_ξ (ξ = n² positions),  Y = Aᵀ M A
//
// Multiplies per output and input channel: 36/16 = 2.25 for F(4×4) and 16/4 = 4 for F(2×2),
// against 9 direct. On the models' 11×17 grids the tiles overhang the image (F(4×4): 12×20 of
// 187 pixels, 28 % waste; F(2×2): 12×18, 15 %), which still leaves F(4×4) with 1.6× fewer
// products than F(2×2) and less transformed data (36·15 against 16·54 values per image and
// channel). Why F(4×4) is the default, measured with native/bench/conv-bench.mjs (ms, median of
// 9, same minute, HPSEARCH_NATIVE_WINOGRAD=2 for F(2×2)): see docs/performance.md ("Winograd").
//
// F(4×4, 3×3) uses the points 0, ±1, ±2 (constants up to 8 and 1/24): its float32 error is a few
// times F(2×2)'s (≤ 1e-5 relative at 128 channels against a float64 sum, tested). Tiles are
// processed in chunks whose transformed data stays in L2; the n² filter matrices are packed
// once per call (hp::PackedB). Chunks are independent except for the filter gradient's sum, so
// they can be spread over threads (in a fixed order of the sum for reproducibility).
//
// The transforms are written once, as templates over the lane type V: float (portable path,
// channel tails) or an 8-float GCC vector inside the AVX2 entry points (GCC does not vectorise
// the pointer-array gathers of a scalar loop: they were ~70 % of the time).
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conv_geom.h"
#include "gemm.h"
#include "parallel.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors only ever live inside AVX2 functions

namespace hp {
namespace {

#define HP_INLINE inline __attribute__((always_inline))

typedef float v8f __attribute__((vector_size(32)));

template <class V>
HP_INLINE V Load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
HP_INLINE void Store(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}
template <class V>
constexpr int kLanes = sizeof(V) / sizeof(float);

// max(0, x) as tfjs computes it: NaN stays NaN (the trainer fails a trial on a NaN loss).
template <class V>
HP_INLINE V Relu(V x) {
  const V zero{};
  return x < zero ? zero : x;
}

// The 1D transforms of F(2, 3): in = Bᵀ (4 → 4), out = Aᵀ (4 → 2), grad = A (2 → 4),
// filter = G (3 → 4), back = Gᵀ (4 → 3).
struct F2 {
  static constexpr int m = 2, n = 4;
  template <class V>
  static HP_INLINE void In(const V* d, V* r) {
    r[0] = d[0] - d[2];
    r[1] = d[1] + d[2];
    r[2] = d[2] - d[1];
    r[3] = d[1] - d[3];
  }
  template <class V>
  static HP_INLINE void Out(const V* s, V* r) {
    r[0] = s[0] + s[1] + s[2];
    r[1] = s[1] - s[2] - s[3];
  }
  template <class V>
  static HP_INLINE void Grad(const V* e, V* r) {
    r[0] = e[0];
    r[1] = e[0] + e[1];
    r[2] = e[0] - e[1];
    r[3] = -e[1];
  }
  template <class V>
  static HP_INLINE void Filter(const V* g, V* r) {
    r[0] = g[0];
    r[1] = 0.5f * (g[0] + g[1] + g[2]);
    r[2] = 0.5f * (g[0] - g[1] + g[2]);
    r[3] = g[2];
  }
  template <class V>
  static HP_INLINE void Back(const V* u, V* r) {
    r[0] = u[0] + 0.5f * (u[1] + u[2]);
    r[1] = 0.5f * (u[1] - u[2]);
    r[2] = 0.5f * (u[1] + u[2]) + u[3];
  }
};

// F(4, 3) with the points 0, ±1, ±2 (Lavin & Gray's matrices):
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   G  = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
struct F4 {
  static constexpr int m = 4, n = 6;
  template <class V>
  static HP_INLINE void In(const V* d, V* r) {
    const V a = d[4] - 4.0f * d[2], b = d[3] - 4.0f * d[1];  // rows 1, 2
    const V c = d[4] - d[2], e = 2.0f * (d[3] - d[1]);      // rows 3, 4
    r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    r[1] = a + b;
    r[2] = a - b;
    r[3] = c + e;
    r[4] = c - e;
    r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
  }
  template <class V>
  static HP_INLINE void Out(const V* s, V* r) {
    const V p12 = s[1] + s[2], m12 = s[1] - s[2], p34 = s[3] + s[4], m34 = s[3] - s[4];
    r[0] = s[0] + p12 + p34;
    r[1] = m12 + 2.0f * m34;
    r[2] = p12 + 4.0f * p34;
    r[3] = m12 + 8.0f * m34 + s[5];
  }
  template <class V>
  static HP_INLINE void Grad(const V* e, V* r) {  // A = (Aᵀ)ᵀ, 4 → 6
    const V p02 = e[0] + e[2], p13 = e[1] + e[3];
    const V q02 = e[0] + 4.0f * e[2], q13 = 2.0f * e[1] + 8.0f * e[3];
    r[0] = e[0];
    r[1] = p02 + p13;
    r[2] = p02 - p13;
    r[3] = q02 + q13;
    r[4] = q02 - q13;
    r[5] = e[3];
  }
  template <class V>
  static HP_INLINE void Filter(const V* g, V* r) {
    const V p = g[0] + g[2];
    const V q = (1.0f / 24.0f) * g[0] + (1.0f / 6.0f) * g[2], t = (1.0f / 12.0f) * g[1];
    r[0] = 0.25f * g[0];
    r[1] = (-1.0f / 6.0f) * (p + g[1]);
    r[2] = (-1.0f / 6.0f) * (p - g[1]);
    r[3] = q + t;
    r[4] = q - t;
    r[5] = g[2];
  }
  template <class V>
  static HP_INLINE void Back(const V* u, V* r) {  // Gᵀ, 6 → 3
    const V p12 = u[1] + u[2], m12 = u[2] - u[1], p34 = u[3] + u[4], m34 = u[3] - u[4];
    r[0] = 0.25f * u[0] - (1.0f / 6.0f) * p12 + (1.0f / 24.0f) * p34;
    r[1] = (1.0f / 6.0f) * m12 + (1.0f / 12.0f) * m34;
    r[2] = (1.0f / 6.0f) * (p34 - p12) + u[5];
  }
};

// The 2D transforms, kLanes<V> channels at a time starting at channel c. n = T::n, P = n².

// V_ξ = (Bᵀ d B)_ξ for one tile: d[i·n + j] points at the channels of tile pixel (i, j) (a zero
// pixel in the padding); V_ξ is written at v + ξ·stride.
template <class T, class V>
HP_INLINE void InputAt(const float* const* d, int64_t c, float* v, int64_t stride) {
  constexpr int n = T::n;
  V t[n][n];  // t[i][j] = (Bᵀ d)[i][j]
  for (int j = 0; j < n; ++j) {
    V col[n], r[n];
    for (int i = 0; i < n; ++i) col[i] = Load<V>(d[i * n + j] + c);
    T::In(col, r);
    for (int i = 0; i < n; ++i) t[i][j] = r[i];
  }
  for (int i = 0; i < n; ++i) {
    V r[n];
    T::In(t[i], r);
    for (int j = 0; j < n; ++j) Store(v + (i * n + j) * stride + c, r[j]);
  }
}

// Y = Aᵀ M A (+ bias, ReLU) for one tile: M_ξ at mm + ξ·stride; y[i·m + j] receives output pixel
// (i, j) of the m×m block (a sink past the edge).
template <class T, class V>
HP_INLINE void OutputAt(const float* mm, int64_t stride, int64_t o, const float* bias, bool relu, float* const* y) {
  constexpr int n = T::n, m = T::m;
  V s[m][n];  // Aᵀ M
  for (int j = 0; j < n; ++j) {
    V col[n], r[m];
    for (int i = 0; i < n; ++i) col[i] = Load<V>(mm + (i * n + j) * stride + o);
    T::Out(col, r);
    for (int i = 0; i < m; ++i) s[i][j] = r[i];
  }
  const V b = bias == nullptr ? V{} : Load<V>(bias + o);
  for (int i = 0; i < m; ++i) {
    V r[m];
    T::Out(s[i], r);
    for (int j = 0; j < m; ++j) {
      V out = r[j] + b;
      if (relu) out = Relu(out);
      Store(y[i * m + j] + o, out);
    }
  }
}

// R = A dY Aᵀ (n×n) for one tile's m×m output gradient: dy[i·m + j] points at output pixel
// (i, j)'s values (a zero pixel past the edge); R_ξ is written at r + ξ·stride.
template <class T, class V>
HP_INLINE void GradAt(const float* const* dy, int64_t o, float* r, int64_t stride) {
  constexpr int n = T::n, m = T::m;
  V t[n][m];  // A dY
  for (int j = 0; j < m; ++j) {
    V col[m], q[n];
    for (int i = 0; i < m; ++i) col[i] = Load<V>(dy[i * m + j] + o);
    T::Grad(col, q);
    for (int i = 0; i < n; ++i) t[i][j] = q[i];
  }
  for (int i = 0; i < n; ++i) {
    V q[n];
    T::Grad(t[i], q);
    for (int j = 0; j < n; ++j) Store(r + (i * n + j) * stride + o, q[j]);
  }
}

// U = G g Gᵀ at flat index q = c·OC + oc of every [C, OC] plane: w is [3][3][C][OC], U_ξ at
// u + ξ·plane.
template <class T, class V>
HP_INLINE void FilterAt(const float* w, int64_t plane, int64_t q, float* u) {
  constexpr int n = T::n;
  V t[n][3];  // G g
  for (int j = 0; j < 3; ++j) {
    V col[3], r[n];
    for (int i = 0; i < 3; ++i) col[i] = Load<V>(w + (i * 3 + j) * plane + q);
    T::Filter(col, r);
    for (int i = 0; i < n; ++i) t[i][j] = r[i];
  }
  for (int i = 0; i < n; ++i) {
    V r[n];
    T::Filter(t[i], r);
    for (int j = 0; j < n; ++j) Store(u + (i * n + j) * plane + q, r[j]);
  }
}

// dw = Gᵀ dU G at flat index q of every plane (the filter gradient back from the transformed domain).
template <class T, class V>
HP_INLINE void BackAt(const float* du, int64_t plane, int64_t q, float* dw) {
  constexpr int n = T::n;
  V t[3][n];  // Gᵀ dU
  for (int j = 0; j < n; ++j) {
    V col[n], r[3];
    for (int i = 0; i < n; ++i) col[i] = Load<V>(du + (i * n + j) * plane + q);
    T::Back(col, r);
    for (int i = 0; i < 3; ++i) t[i][j] = r[i];
  }
  for (int i = 0; i < 3; ++i) {
    V r[3];
    T::Back(t[i], r);
    for (int j = 0; j < 3; ++j) Store(dw + (i * 3 + j) * plane + q, r[j]);
  }
}

// Whole rows of channels: 8-wide blocks (V = v8f, only inside AVX2 functions), then float lanes.
template <class T, class V>
HP_INLINE void InputRow(const float* const* d, int64_t c_count, float* v, int64_t stride) {
  int64_t c = 0;
  for (; c + kLanes<V> <= c_count; c += kLanes<V>) InputAt<T, V>(d, c, v, stride);
  for (; c < c_count; ++c) InputAt<T, float>(d, c, v, stride);
}
template <class T, class V>
HP_INLINE void OutputRow(const float* mm, int64_t stride, int64_t oc, const float* bias, bool relu, float* const* y) {
  int64_t o = 0;
  for (; o + kLanes<V> <= oc; o += kLanes<V>) OutputAt<T, V>(mm, stride, o, bias, relu, y);
  for (; o < oc; ++o) OutputAt<T, float>(mm, stride, o, bias, relu, y);
}
template <class T, class V>
HP_INLINE void GradRow(const float* const* dy, int64_t oc, float* r, int64_t stride) {
  int64_t o = 0;
  for (; o + kLanes<V> <= oc; o += kLanes<V>) GradAt<T, V>(dy, o, r, stride);
  for (; o < oc; ++o) GradAt<T, float>(dy, o, r, stride);
}
template <class T, class V>
HP_INLINE void FilterAll(const float* w, int64_t plane, float* u) {
  int64_t q = 0;
  for (; q + kLanes<V> <= plane; q += kLanes<V>) FilterAt<T, V>(w, plane, q, u);
  for (; q < plane; ++q) FilterAt<T, float>(w, plane, q, u);
}
template <class T, class V>
HP_INLINE void BackAll(const float* du, int64_t plane, float* dw) {
  int64_t q = 0;
  for (; q + kLanes<V> <= plane; q += kLanes<V>) BackAt<T, V>(du, plane, q, dw);
  for (; q < plane; ++q) BackAt<T, float>(du, plane, q, dw);
}

// One variant's transforms, as the driver calls them.
struct Variant {
  int m, n;
  void (*filter)(const float* w, int64_t plane, float* u);
  void (*input)(const float* const* d, int64_t c_count, float* v, int64_t stride);
  void (*output)(const float* mm, int64_t stride, int64_t oc, const float* bias, bool relu, float* const* y);
  void (*grad)(const float* const* dy, int64_t oc, float* r, int64_t stride);
  void (*back)(const float* du, int64_t plane, float* dw);
};

template <class T>
struct Portable {
  static void Filter(const float* w, int64_t plane, float* u) { FilterAll<T, float>(w, plane, u); }
  static void Input(const float* const* d, int64_t c, float* v, int64_t s) { InputRow<T, float>(d, c, v, s); }
  static void Output(const float* mm, int64_t s, int64_t oc, const float* b, bool relu, float* const* y) {
    OutputRow<T, float>(mm, s, oc, b, relu, y);
  }
  static void Grad(const float* const* dy, int64_t oc, float* r, int64_t s) { GradRow<T, float>(dy, oc, r, s); }
  static void Back(const float* du, int64_t plane, float* dw) { BackAll<T, float>(du, plane, dw); }
  static constexpr Variant kVariant{T::m, T::n, Filter, Input, Output, Grad, Back};
};

#if defined(__x86_64__) || defined(__i386__)
#define HP_AVX2 __attribute__((target("avx2,fma")))
template <class T>
struct Avx2 {
  static HP_AVX2 void Filter(const float* w, int64_t plane, float* u) { FilterAll<T, v8f>(w, plane, u); }
  static HP_AVX2 void Input(const float* const* d, int64_t c, float* v, int64_t s) { InputRow<T, v8f>(d, c, v, s); }
  static HP_AVX2 void Output(const float* mm, int64_t s, int64_t oc, const float* b, bool relu, float* const* y) {
    OutputRow<T, v8f>(mm, s, oc, b, relu, y);
  }
  static HP_AVX2 void Grad(const float* const* dy, int64_t oc, float* r, int64_t s) { GradRow<T, v8f>(dy, oc, r, s); }
  static HP_AVX2 void Back(const float* du, int64_t plane, float* dw) { BackAll<T, v8f>(du, plane, dw); }
  static constexpr Variant kVariant{T::m, T::n, Filter, Input, Output, Grad, Back};
};
#endif

template <class T>
const Variant& Pick() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 =
      std::getenv("HPSEARCH_NATIVE_GENERIC") == nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) return Avx2<T>::kVariant;
#endif
  return Portable<T>::kVariant;
}

// HPSEARCH_NATIVE_WINOGRAD=2 picks F(2×2, 3×3), to compare the two; read on every call (a
// getenv is ~50 ns against milliseconds of convolution) so a test can switch variants.
const Variant& ActiveVariant() {
  const char* e = std::getenv("HPSEARCH_NATIVE_WINOGRAD");
  return e != nullptr && std::strcmp(e, "2") == 0 ? Pick<F2>() : Pick<F4>();
}

constexpr int kMaxPositions = 36;

struct Scratch {
  std::vector<float> u;        // [P][C][OC] transformed filter
  std::vector<float> v;        // [P][chunk][C] transformed input tiles
  std::vector<float> m;        // [P][chunk][OC] products
  std::vector<float> zeros;    // a zero pixel for taps in the padding
  std::vector<float> sink;     // where outputs past the bottom/right edge are written
  std::vector<float> dy;       // [P][chunk][OC] transformed output-gradient tiles (filter gradient)
  std::vector<float> du;       // [P][C][OC] filter gradient in the transformed domain
  PackedB packed[kMaxPositions];
};

thread_local Scratch tl;

bool Handles(const ConvGeom& g) {
  // Narrow layers (the 1-channel stem) gain nothing: their products are too thin for the GEMM.
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.c >= 16 && g.oc >= 16;
}

// Tile `tile` of the grid (images × th × tw): pointers to its n×n input pixels (zeros outside).
void TilePixels(const ConvGeom& g, const Variant& var, int64_t tile, int64_t th, int64_t tw, const float* x,
                const float* zeros, const float** d) {
  const int64_t b = tile / (th * tw), ty = (tile / tw) % th, tx = tile % tw;
  for (int i = 0; i < var.n; ++i) {
    const int64_t iy = ty * var.m + i - g.pt;
    for (int j = 0; j < var.n; ++j) {
      const int64_t ix = tx * var.m + j - g.pl;
      const bool in = iy >= 0 && iy < g.ih && ix >= 0 && ix < g.iw;
      d[i * var.n + j] = in ? x + ((b * g.ih + iy) * g.iw + ix) * g.c : zeros;
    }
  }
}

// Tile `tile`'s m×m output pixels in an [N, OH, OW, ch] array (`edge` past the bottom/right edge).
template <class P>
void TileOutputs(const ConvGeom& g, const Variant& var, int64_t tile, int64_t th, int64_t tw, P* y, int64_t ch, P* edge,
                 P** out) {
  const int64_t b = tile / (th * tw), ty = (tile / tw) % th, tx = tile % tw;
  for (int i = 0; i < var.m; ++i) {
    for (int j = 0; j < var.m; ++j) {
      const int64_t oy = ty * var.m + i, ox = tx * var.m + j;
      out[i * var.m + j] = oy < g.oh && ox < g.ow ? y + ((b * g.oh + oy) * g.ow + ox) * ch : edge;
    }
  }
}

}  // namespace

bool WinogradConv3x3(const ConvGeom& g, const float* x, const float* w, float* y, const float* bias, ConvActivation act) {
  if (!Handles(g)) return false;
  const Variant& var = ActiveVariant();
  const int P = var.n * var.n;
  const int64_t th = (g.oh + var.m - 1) / var.m, tw = (g.ow + var.m - 1) / var.m;
  const int64_t tiles = g.n * th * tw;
  // Chunk of tiles whose V and M (P·chunk·(C + OC) floats) fit in about 384 KiB of L2.
  // (Budgets of 48K to 384K floats timed within noise of each other for F(4×4) at 64 channels.)
  const int64_t chunk = std::max<int64_t>(12, std::min<int64_t>(tiles, (96 * 1024) / (P * (g.c + g.oc)) / 6 * 6));
  Scratch& s = tl;
  s.u.resize(static_cast<size_t>(P * g.c * g.oc));
  s.v.resize(static_cast<size_t>(P * chunk * g.c));
  s.m.resize(static_cast<size_t>(P * chunk * g.oc));
  s.zeros.assign(static_cast<size_t>(g.c), 0.0f);
  s.sink.resize(static_cast<size_t>(g.oc));
  var.filter(w, g.c * g.oc, s.u.data());
  for (int xi = 0; xi < P; ++xi) {
    if (!s.packed[xi].Pack(false, g.c, g.oc, s.u.data() + xi * g.c * g.oc, g.oc)) return false;
  }
  const float* d[kMaxPositions];
  float* out[16];
  for (int64_t t0 = 0; t0 < tiles; t0 += chunk) {
    const int64_t tc = std::min(chunk, tiles - t0);
    for (int64_t t = 0; t < tc; ++t) {
      TilePixels(g, var, t0 + t, th, tw, x, s.zeros.data(), d);
      var.input(d, g.c, s.v.data() + t * g.c, chunk * g.c);
    }
    // The 16 products are independent: one chunk each (parallel.h).
    ParallelFor(P, [&](int64_t xi) {
      sgemm_prepacked(false, tc, 1.0f, s.v.data() + xi * chunk * g.c, g.c, s.packed[xi], 0.0f, s.m.data() + xi * chunk * g.oc, g.oc);
    });
    for (int64_t t = 0; t < tc; ++t) {
      TileOutputs(g, var, t0 + t, th, tw, y, g.oc, s.sink.data(), out);
      var.output(s.m.data() + t * g.oc, chunk * g.oc, g.oc, bias, act == kRelu, out);
    }
  }
  return true;
}

bool WinogradFilterGrad3x3(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (!Handles(g)) return false;
  const Variant& var = ActiveVariant();
  const int P = var.n * var.n;
  const int64_t th = (g.oh + var.m - 1) / var.m, tw = (g.ow + var.m - 1) / var.m;
  const int64_t tiles = g.n * th * tw;
  // Larger chunks than the forward pass: here the tiles are the products' reduction dimension.
  const int64_t chunk = std::max<int64_t>(16, std::min<int64_t>(tiles, (384 * 1024) / (P * (g.c + g.oc)) / 8 * 8));
  Scratch& s = tl;
  s.v.resize(static_cast<size_t>(P * chunk * g.c));
  s.dy.resize(static_cast<size_t>(P * chunk * g.oc));
  s.du.resize(static_cast<size_t>(P * g.c * g.oc));
  s.zeros.assign(static_cast<size_t>(std::max(g.c, g.oc)), 0.0f);
  const float* d[kMaxPositions];
  const float* e[16];
  for (int64_t t0 = 0; t0 < tiles; t0 += chunk) {
    const int64_t tc = std::min(chunk, tiles - t0);
    for (int64_t t = 0; t < tc; ++t) {
      TilePixels(g, var, t0 + t, th, tw, x, s.zeros.data(), d);
      var.input(d, g.c, s.v.data() + t * g.c, chunk * g.c);
      TileOutputs(g, var, t0 + t, th, tw, dy, g.oc, static_cast<const float*>(s.zeros.data()), e);
      var.grad(e, g.oc, s.dy.data() + t * g.oc, chunk * g.oc);
    }
    // dU_ξ += V_ξᵀ · R_ξ over this chunk's tiles.
    // Each ξ accumulates its own dU_ξ over the chunks in tile order, whichever thread runs it.
    ParallelFor(P, [&](int64_t xi) {
      sgemm(true, false, g.c, g.oc, tc, 1.0f, s.v.data() + xi * chunk * g.c, g.c, s.dy.data() + xi * chunk * g.oc, g.oc,
            t0 == 0 ? 0.0f : 1.0f, s.du.data() + xi * g.c * g.oc, g.oc);
    });
  }
  var.back(s.du.data(), g.c * g.oc, dw);
  return true;
}

}  // namespace hp
