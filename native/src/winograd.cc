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
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conv_geom.h"
#include "gemm.h"

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define HP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HP_CLONES
#endif

namespace hp {
namespace {

constexpr int kTiles = 16;  // transform positions ξ of a 4×4 tile

struct Scratch {
  std::vector<float> u;        // [16][C][OC] transformed filter
  std::vector<float> v;        // [16][chunk][C] transformed input tiles
  std::vector<float> m;        // [16][chunk][OC] products
  std::vector<float> zeros;    // a zero pixel (C floats) for taps in the padding
  std::vector<float> sink;     // where outputs past the bottom/right edge are written
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

}  // namespace

bool WinogradConv3x3(const ConvGeom& g, const float* x, const float* w, float* y, const float* bias, ConvActivation act) {
  // Narrow layers (the 1-channel stem) gain nothing: their products are too thin for the GEMM.
  if (g.kh != 3 || g.kw != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.c < 16 || g.oc < 16) return false;
  const int64_t th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2;
  const int64_t tiles = g.n * th * tw;
  // Chunk of tiles whose V and M (16·chunk·(C + OC) floats) fit in about 384 KiB of L2.
  const int64_t chunk = std::max<int64_t>(12, std::min<int64_t>(tiles, (96 * 1024) / (kTiles * (g.c + g.oc)) / 6 * 6));
  Scratch& s = tl;
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
      InputTransform(d, g.c, s.v.data() + t * g.c, chunk * g.c);
    }
    for (int xi = 0; xi < kTiles; ++xi) {
      sgemm_prepacked(false, tc, 1.0f, s.v.data() + xi * chunk * g.c, g.c, s.packed[xi], 0.0f, s.m.data() + xi * chunk * g.oc, g.oc);
    }
    for (int64_t t = 0; t < tc; ++t) {
      const int64_t tile = t0 + t;
      const int64_t b = tile / (th * tw), ty = (tile / tw) % th, tx = tile % tw;
      for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) {
          const int64_t oy = ty * 2 + i, ox = tx * 2 + j;
          out[i * 2 + j] = oy < g.oh && ox < g.ow ? y + ((b * g.oh + oy) * g.ow + ox) * g.oc : s.sink.data();
        }
      }
      OutputTransform(s.m.data() + t * g.oc, chunk * g.oc, g.oc, bias, act == kRelu, out);
    }
  }
  return true;
}

}  // namespace hp
