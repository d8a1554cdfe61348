// Winograd F(2×2, 3×3) convolution (Lavin & Gray 2016), NHWC: each 2×2 block of outputs comes
// from a 4×4 input tile, and in the transformed domain the 3×3 kernel becomes an element-wise
// product, i.e. 16 matrix products [tiles, C]·[C, OC] instead of one [pixels, 9C]·[9C, OC]:
// 16·(1/4) = 4 multiplies per output and input channel against 9 (2.25× fewer flops).
//
//   V = Bᵀ d B (input tile),  U = G g Gᵀ (filter),  M_ξ = V_ξ · U_ξ (ξ = 16 positions),  Y = Aᵀ M A
//
// F(2×2, 3×3) has the smallest transform constants of the family (0, ±1, ½): errors stay at a
// few float32 ulps of the direct sum. Tiles are processed in chunks whose transformed data
// stays in L2; the 16 filter matrices are packed once per call (hp::PackedB).
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "clones.h"
#include "conv_geom.h"
#include "gemm.h"
#include "parallel.h"

namespace hp {
namespace {

constexpr int kTiles = 16;  // transform positions ξ of a 4×4 tile

struct Scratch {
  std::vector<float> u;        // [16][C][OC] transformed filter
  std::vector<float> v;        // [16][chunk][C] transformed input tiles
  std::vector<float> m;        // [16][chunk][OC] products
  std::vector<float> zeros;    // a zero pixel (C floats) for taps in the padding
  std::vector<float> sink;     // where outputs past the bottom/right edge are written
  std::vector<float> dy;       // [16][chunk][OC] transformed output-gradient tiles (filter gradient)
  std::vector<float> du;       // [16][C][OC] filter gradient in the transformed domain
  PackedB packed[kTiles];
};

thread_local Scratch tl;

// U_ξ = (G g Gᵀ)_ξ for every (c, oc); g = w[·][·][c][oc]. Vectorised along oc.
HP_CLONES void FilterTransform(const float* w, int64_t c_count, int64_t oc, float* u) {
  const int64_t plane = c_count * oc;
  for (int64_t c = 0; c < c_count; ++c) {
    for (int64_t o = 0; o < oc; ++o) {
      float g[3][3];
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) g[i][j] = w[((i * 3 + j) * c_count + c) * oc + o];
      }
      float t[4][3];  // G g
      for (int j = 0; j < 3; ++j) {
        t[0][j] = g[0][j];
        t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
        t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
        t[3][j] = g[2][j];
      }
      float* dst = u + c * oc + o;
      for (int i = 0; i < 4; ++i) {  // (G g) Gᵀ
        dst[(i * 4 + 0) * plane] = t[i][0];
        dst[(i * 4 + 1) * plane] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        dst[(i * 4 + 2) * plane] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        dst[(i * 4 + 3) * plane] = t[i][2];
      }
    }
  }
}

// V = Bᵀ d B for one tile, all channels: d[i·4 + j] points at the C channels of tile pixel (i, j)
// (the zero pixel in the padding); V_ξ is written at v + ξ·stride.
HP_CLONES void InputTransform(const float* const* d, int64_t c_count, float* v, int64_t stride) {
  for (int64_t c = 0; c < c_count; ++c) {
    float t[4][4];  // Bᵀ d
    for (int j = 0; j < 4; ++j) {
      const float d0 = d[0 * 4 + j][c], d1 = d[1 * 4 + j][c], d2 = d[2 * 4 + j][c], d3 = d[3 * 4 + j][c];
      t[0][j] = d0 - d2;
      t[1][j] = d1 + d2;
      t[2][j] = d2 - d1;
      t[3][j] = d1 - d3;
    }
    for (int i = 0; i < 4; ++i) {  // (Bᵀ d) B
      v[(i * 4 + 0) * stride + c] = t[i][0] - t[i][2];
      v[(i * 4 + 1) * stride + c] = t[i][1] + t[i][2];
      v[(i * 4 + 2) * stride + c] = t[i][2] - t[i][1];
      v[(i * 4 + 3) * stride + c] = t[i][1] - t[i][3];
    }
  }
}

// Y = Aᵀ M A (+ bias, ReLU) for one tile: M_ξ at m + ξ·stride; y[i·2 + j] receives output
// pixel (i, j) of the 2×2 block (a sink past the edge).
HP_CLONES void OutputTransform(const float* m, int64_t stride, int64_t oc, const float* bias, bool relu, float* const* y) {
  for (int64_t o = 0; o < oc; ++o) {
    float s[2][4];  // Aᵀ M
    for (int j = 0; j < 4; ++j) {
      const float m0 = m[(0 * 4 + j) * stride + o], m1 = m[(1 * 4 + j) * stride + o];
      const float m2 = m[(2 * 4 + j) * stride + o], m3 = m[(3 * 4 + j) * stride + o];
      s[0][j] = m0 + m1 + m2;
      s[1][j] = m1 - m2 - m3;
    }
    const float b = bias == nullptr ? 0.0f : bias[o];
    for (int i = 0; i < 2; ++i) {  // (Aᵀ M) A
      float r0 = s[i][0] + s[i][1] + s[i][2] + b;
      float r1 = s[i][1] - s[i][2] - s[i][3] + b;
      if (relu) {
        // max(0, x) as tfjs: NaN stays NaN.
        r0 = r0 < 0.0f ? 0.0f : r0;
        r1 = r1 < 0.0f ? 0.0f : r1;
      }
      y[i * 2 + 0][o] = r0;
      y[i * 2 + 1][o] = r1;
    }
  }
}

// R = A dY Aᵀ (4×4) for one tile's 2×2 output gradient, all output channels: dy[i·2 + j] points
// at output pixel (i, j)'s OC values (the zero pixel past the edge); R_ξ is written at r + ξ·stride.
HP_CLONES void GradTransform(const float* const* dy, int64_t oc, float* r, int64_t stride) {
  for (int64_t o = 0; o < oc; ++o) {
    float t[4][2];  // A dY
    for (int j = 0; j < 2; ++j) {
      const float a = dy[0 * 2 + j][o], b = dy[1 * 2 + j][o];
      t[0][j] = a;
      t[1][j] = a + b;
      t[2][j] = a - b;
      t[3][j] = -b;
    }
    for (int i = 0; i < 4; ++i) {  // (A dY) Aᵀ
      r[(i * 4 + 0) * stride + o] = t[i][0];
      r[(i * 4 + 1) * stride + o] = t[i][0] + t[i][1];
      r[(i * 4 + 2) * stride + o] = t[i][0] - t[i][1];
      r[(i * 4 + 3) * stride + o] = -t[i][1];
    }
  }
}

// dw = Gᵀ dU G for every (c, oc): the filter gradient back from the transformed domain.
HP_CLONES void FilterGradBack(const float* du, int64_t c_count, int64_t oc, float* dw) {
  const int64_t plane = c_count * oc;
  for (int64_t i = 0; i < plane; ++i) {
    float u[4][4];
    for (int k = 0; k < 16; ++k) u[k / 4][k % 4] = du[k * plane + i];
    float t[3][4];  // Gᵀ dU
    for (int j = 0; j < 4; ++j) {
      t[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
      t[1][j] = 0.5f * (u[1][j] - u[2][j]);
      t[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
    }
    for (int r = 0; r < 3; ++r) {  // (Gᵀ dU) G; dw is [3][3][C][OC], i = c·OC + oc
      dw[(r * 3 + 0) * plane + i] = t[r][0] + 0.5f * (t[r][1] + t[r][2]);
      dw[(r * 3 + 1) * plane + i] = 0.5f * (t[r][1] - t[r][2]);
      dw[(r * 3 + 2) * plane + i] = 0.5f * (t[r][1] + t[r][2]) + t[r][3];
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
#define HP_AVX2 __attribute__((target("avx2,fma")))

// The transforms above, 8 channels per ymm register (GCC does not vectorise the pointer-array
// gathers of the scalar versions: they were ~70 % of the time).
HP_AVX2 void InputTransformAvx2(const float* const* d, int64_t c_count, float* v, int64_t stride) {
  int64_t c = 0;
  for (; c + 8 <= c_count; c += 8) {
    __m256 t[4][4];
    for (int j = 0; j < 4; ++j) {
      const __m256 d0 = _mm256_loadu_ps(d[0 * 4 + j] + c), d1 = _mm256_loadu_ps(d[1 * 4 + j] + c);
      const __m256 d2 = _mm256_loadu_ps(d[2 * 4 + j] + c), d3 = _mm256_loadu_ps(d[3 * 4 + j] + c);
      t[0][j] = _mm256_sub_ps(d0, d2);
      t[1][j] = _mm256_add_ps(d1, d2);
      t[2][j] = _mm256_sub_ps(d2, d1);
      t[3][j] = _mm256_sub_ps(d1, d3);
    }
    for (int i = 0; i < 4; ++i) {
      _mm256_storeu_ps(v + (i * 4 + 0) * stride + c, _mm256_sub_ps(t[i][0], t[i][2]));
      _mm256_storeu_ps(v + (i * 4 + 1) * stride + c, _mm256_add_ps(t[i][1], t[i][2]));
      _mm256_storeu_ps(v + (i * 4 + 2) * stride + c, _mm256_sub_ps(t[i][2], t[i][1]));
      _mm256_storeu_ps(v + (i * 4 + 3) * stride + c, _mm256_sub_ps(t[i][1], t[i][3]));
    }
  }
  if (c < c_count) {
    const float* rest[16];
    for (int k = 0; k < 16; ++k) rest[k] = d[k] + c;
    InputTransform(rest, c_count - c, v + c, stride);
  }
}

HP_AVX2 void OutputTransformAvx2(const float* m, int64_t stride, int64_t oc, const float* bias, bool relu, float* const* y) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t o = 0;
  for (; o + 8 <= oc; o += 8) {
    __m256 s[2][4];
    for (int j = 0; j < 4; ++j) {
      const __m256 m0 = _mm256_loadu_ps(m + (0 * 4 + j) * stride + o), m1 = _mm256_loadu_ps(m + (1 * 4 + j) * stride + o);
      const __m256 m2 = _mm256_loadu_ps(m + (2 * 4 + j) * stride + o), m3 = _mm256_loadu_ps(m + (3 * 4 + j) * stride + o);
      s[0][j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
      s[1][j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    const __m256 b = bias == nullptr ? zero : _mm256_loadu_ps(bias + o);
    for (int i = 0; i < 2; ++i) {
      __m256 r0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[i][0], s[i][1]), s[i][2]), b);
      __m256 r1 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[i][1], s[i][2]), s[i][3]), b);
      if (relu) {
        // max(0, x) keeping NaN: x where !(x < 0).
        r0 = _mm256_blendv_ps(r0, zero, _mm256_cmp_ps(r0, zero, _CMP_LT_OQ));
        r1 = _mm256_blendv_ps(r1, zero, _mm256_cmp_ps(r1, zero, _CMP_LT_OQ));
      }
      _mm256_storeu_ps(y[i * 2 + 0] + o, r0);
      _mm256_storeu_ps(y[i * 2 + 1] + o, r1);
    }
  }
  if (o < oc) {
    float* rest[4];
    for (int k = 0; k < 4; ++k) rest[k] = y[k] + o;
    OutputTransform(m + o, stride, oc - o, bias == nullptr ? nullptr : bias + o, relu, rest);
  }
}
HP_AVX2 void GradTransformAvx2(const float* const* dy, int64_t oc, float* r, int64_t stride) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t o = 0;
  for (; o + 8 <= oc; o += 8) {
    __m256 t[4][2];
    for (int j = 0; j < 2; ++j) {
      const __m256 a = _mm256_loadu_ps(dy[0 * 2 + j] + o), b = _mm256_loadu_ps(dy[1 * 2 + j] + o);
      t[0][j] = a;
      t[1][j] = _mm256_add_ps(a, b);
      t[2][j] = _mm256_sub_ps(a, b);
      t[3][j] = _mm256_sub_ps(zero, b);
    }
    for (int i = 0; i < 4; ++i) {
      _mm256_storeu_ps(r + (i * 4 + 0) * stride + o, t[i][0]);
      _mm256_storeu_ps(r + (i * 4 + 1) * stride + o, _mm256_add_ps(t[i][0], t[i][1]));
      _mm256_storeu_ps(r + (i * 4 + 2) * stride + o, _mm256_sub_ps(t[i][0], t[i][1]));
      _mm256_storeu_ps(r + (i * 4 + 3) * stride + o, _mm256_sub_ps(zero, t[i][1]));
    }
  }
  if (o < oc) {
    const float* rest[4];
    for (int k = 0; k < 4; ++k) rest[k] = dy[k] + o;
    GradTransform(rest, oc - o, r + o, stride);
  }
}
#endif

struct Transforms {
  void (*input)(const float* const*, int64_t, float*, int64_t);
  void (*output)(const float*, int64_t, int64_t, const float*, bool, float* const*);
  void (*grad)(const float* const*, int64_t, float*, int64_t);
};

const Transforms& ActiveTransforms() {
  static const Transforms t = [] {
#if defined(__x86_64__) || defined(__i386__)
    if (std::getenv("HPSEARCH_NATIVE_GENERIC") == nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      return Transforms{InputTransformAvx2, OutputTransformAvx2, GradTransformAvx2};
    }
#endif
    return Transforms{InputTransform, OutputTransform, GradTransform};
  }();
  return t;
}

}  // namespace

bool WinogradConv3x3(const ConvGeom& g, const float* x, const float* w, float* y, const float* bias, ConvActivation act) {
  // Narrow layers (the 1-channel stem) gain nothing: their products are too thin for the GEMM.
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.c < 16 || g.oc < 16) return false;
  const int64_t th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2;
  const int64_t tiles = g.n * th * tw;
  // Chunk of tiles whose V and M (16·chunk·(C + OC) floats) fit in about 384 KiB of L2.
  const int64_t chunk = std::max<int64_t>(12, std::min<int64_t>(tiles, (96 * 1024) / (kTiles * (g.c + g.oc)) / 6 * 6));
  Scratch& s = tl;
  const Transforms& tr = ActiveTransforms();
  s.u.resize(static_cast<size_t>(kTiles * g.c * g.oc));
  s.v.resize(static_cast<size_t>(kTiles * chunk * g.c));
  s.m.resize(static_cast<size_t>(kTiles * chunk * g.oc));
  s.zeros.assign(static_cast<size_t>(g.c), 0.0f);
  s.sink.resize(static_cast<size_t>(g.oc));
  FilterTransform(w, g.c, g.oc, s.u.data());
  for (int xi = 0; xi < kTiles; ++xi) {
    if (!s.packed[xi].Pack(false, g.c, g.oc, s.u.data() + xi * g.c * g.oc, g.oc)) return false;
  }
  const float* d[16];
  float* out[4];
  for (int64_t t0 = 0; t0 < tiles; t0 += chunk) {
    const int64_t tc = std::min(chunk, tiles - t0);
    for (int64_t t = 0; t < tc; ++t) {
      const int64_t tile = t0 + t;
      const int64_t b = tile / (th * tw), ty = (tile / tw) % th, tx = tile % tw;
      for (int i = 0; i < 4; ++i) {
        const int64_t iy = ty * 2 + i - g.pt;
        for (int j = 0; j < 4; ++j) {
          const int64_t ix = tx * 2 + j - g.pl;
          const bool in = iy >= 0 && iy < g.ih && ix >= 0 && ix < g.iw;
          d[i * 4 + j] = in ? x + ((b * g.ih + iy) * g.iw + ix) * g.c : s.zeros.data();
        }
      }
      tr.input(d, g.c, s.v.data() + t * g.c, chunk * g.c);
    }
    // The 16 products are independent: one chunk each (parallel.h).
    ParallelFor(kTiles, [&](int64_t xi) {
      sgemm_prepacked(false, tc, 1.0f, s.v.data() + xi * chunk * g.c, g.c, s.packed[xi], 0.0f, s.m.data() + xi * chunk * g.oc, g.oc);
    });
    for (int64_t t = 0; t < tc; ++t) {
      const int64_t tile = t0 + t;
      const int64_t b = tile / (th * tw), ty = (tile / tw) % th, tx = tile % tw;
      for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) {
          const int64_t oy = ty * 2 + i, ox = tx * 2 + j;
          out[i * 2 + j] = oy < g.oh && ox < g.ow ? y + ((b * g.oh + oy) * g.ow + ox) * g.oc : s.sink.data();
        }
      }
      tr.output(s.m.data() + t * g.oc, chunk * g.oc, g.oc, bias, act == kRelu, out);
    }
  }
  return true;
}

bool WinogradFilterGrad3x3(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.c < 16 || g.oc < 16) return false;
  const int64_t th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2;
  const int64_t tiles = g.n * th * tw;
  // Larger chunks than the forward pass: here the tiles are the products' reduction dimension.
  const int64_t chunk = std::max<int64_t>(16, std::min<int64_t>(tiles, (384 * 1024) / (kTiles * (g.c + g.oc)) / 8 * 8));
  Scratch& s = tl;
  const Transforms& tr = ActiveTransforms();
  s.v.resize(static_cast<size_t>(kTiles * chunk * g.c));
  s.dy.resize(static_cast<size_t>(kTiles * chunk * g.oc));
  s.du.resize(static_cast<size_t>(kTiles * g.c * g.oc));
  s.zeros.assign(static_cast<size_t>(std::max(g.c, g.oc)), 0.0f);
  const float* d[16];
  const float* e[4];
  for (int64_t t0 = 0; t0 < tiles; t0 += chunk) {
    const int64_t tc = std::min(chunk, tiles - t0);
    for (int64_t t = 0; t < tc; ++t) {
      const int64_t tile = t0 + t;
      const int64_t b = tile / (th * tw), ty = (tile / tw) % th, tx = tile % tw;
      for (int i = 0; i < 4; ++i) {
        const int64_t iy = ty * 2 + i - g.pt;
        for (int j = 0; j < 4; ++j) {
          const int64_t ix = tx * 2 + j - g.pl;
          const bool in = iy >= 0 && iy < g.ih && ix >= 0 && ix < g.iw;
          d[i * 4 + j] = in ? x + ((b * g.ih + iy) * g.iw + ix) * g.c : s.zeros.data();
        }
      }
      tr.input(d, g.c, s.v.data() + t * g.c, chunk * g.c);
      for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) {
          const int64_t oy = ty * 2 + i, ox = tx * 2 + j;
          e[i * 2 + j] = oy < g.oh && ox < g.ow ? dy + ((b * g.oh + oy) * g.ow + ox) * g.oc : s.zeros.data();
        }
      }
      tr.grad(e, g.oc, s.dy.data() + t * g.oc, chunk * g.oc);
    }
    // dU_ξ += V_ξᵀ · R_ξ over this chunk's tiles.
    // Each ξ accumulates its own dU_ξ over the chunks in tile order, whichever thread runs it.
    ParallelFor(kTiles, [&](int64_t xi) {
      sgemm(true, false, g.c, g.oc, tc, 1.0f, s.v.data() + xi * chunk * g.c, g.c, s.dy.data() + xi * chunk * g.oc, g.oc,
            t0 == 0 ? 0.0f : 1.0f, s.du.data() + xi * g.c * g.oc, g.oc);
    });
  }
  FilterGradBack(s.du.data(), g.c, g.oc, dw);
  return true;
}

}  // namespace hp
