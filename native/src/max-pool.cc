// NHWC max pooling and its gradient. The cpu backend's MaxPoolGrad recomputes the arg-max of
// every window through generic 4-D index helpers (~600 ms for one [64, 11, 17, 64] pool); here
// it is one pass. Ties and NaN follow tfjs: the first strictly greater value of the window in
// scan order wins (starting from −∞), so NaN never wins and an all-NaN window passes no gradient.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "clones.h"
#include "napi_util.h"

namespace hp {
namespace {

struct PoolGeom {
  int64_t n, ih, iw, c, oh, ow, fh, fw, sh, sw, dh, dw, pt, pl;
};

bool GetPoolGeom(napi_env env, napi_value v, PoolGeom* g) {
  IntArray a;
  if (!GetIntArray(env, v, "geometry", &a)) return false;
  if (a.length != 14) {
    ThrowRange(env, "pool: geometry must have 14 entries [N, IH, IW, C, OH, OW, FH, FW, SH, SW, DH, DW, PT, PL]");
    return false;
  }
  const int32_t* q = a.data;
  *g = PoolGeom{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13]};
  for (int i = 0; i < 12; ++i) {
    if (q[i] < 1) {
      ThrowRange(env, "pool: sizes, strides and dilations must be positive");
      return false;
    }
  }
  return true;
}

// best = max(best, px) per channel, with tfjs' rule (strictly greater wins, so NaN never does).
HP_CLONES void MaxInto(float* best, const float* px, int64_t c) {
  for (int64_t ch = 0; ch < c; ++ch) best[ch] = px[ch] > best[ch] ? px[ch] : best[ch];
}

// The same, also recording which window position `w` supplied each channel's maximum.
HP_CLONES void ArgMaxInto(float* best, int32_t* pos, const float* px, int32_t w, int64_t c) {
  for (int64_t ch = 0; ch < c; ++ch) {
    const bool greater = px[ch] > best[ch];
    best[ch] = greater ? px[ch] : best[ch];
    pos[ch] = greater ? w : pos[ch];
  }
}

// Visits the in-bounds window pixels of output pixel (b, y, x) in scan order (rows, then
// columns): f(window position, pointer to the pixel's C channels).
template <typename F>
void ForWindow(const PoolGeom& g, const float* in, int64_t b, int64_t y, int64_t x, F f) {
  for (int64_t fy = 0; fy < g.fh; ++fy) {
    const int64_t iy = y * g.sh + fy * g.dh - g.pt;
    if (iy < 0 || iy >= g.ih) continue;
    for (int64_t fx = 0; fx < g.fw; ++fx) {
      const int64_t ix = x * g.sw + fx * g.dw - g.pl;
      if (ix < 0 || ix >= g.iw) continue;
      f(static_cast<int32_t>(fy * g.fw + fx), in + ((b * g.ih + iy) * g.iw + ix) * g.c);
    }
  }
}

// maxPool(x, y, geometry)
napi_value JsMaxPool(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!GetArgs(env, info, 3, argv)) return nullptr;
  FloatArray x, y;
  PoolGeom g;
  if (!GetFloatArray(env, argv[0], "x", &x) || !GetFloatArray(env, argv[1], "y", &y) || !GetPoolGeom(env, argv[2], &g)) return nullptr;
  if (x.length != g.n * g.ih * g.iw * g.c || y.length != g.n * g.oh * g.ow * g.c) return ThrowRange(env, "maxPool: lengths do not match the geometry");
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        float* out = y.data + ((b * g.oh + oy) * g.ow + ox) * g.c;
        std::fill(out, out + g.c, neg_inf);
        ForWindow(g, x.data, b, oy, ox, [&](int32_t, const float* px) { MaxInto(out, px, g.c); });
      }
    }
  }
  return nullptr;
}

thread_local std::vector<float> tl_best;
thread_local std::vector<int32_t> tl_pos;
thread_local std::vector<int64_t> tl_offsets;

// maxPoolGrad(dy, x, dx, geometry): dx[arg-max of each window] += dy.
napi_value JsMaxPoolGrad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!GetArgs(env, info, 4, argv)) return nullptr;
  FloatArray dy, x, dx;
  PoolGeom g;
  if (!GetFloatArray(env, argv[0], "dy", &dy) || !GetFloatArray(env, argv[1], "x", &x) || !GetFloatArray(env, argv[2], "dx", &dx) ||
      !GetPoolGeom(env, argv[3], &g)) {
    return nullptr;
  }
  if (x.length != g.n * g.ih * g.iw * g.c || dx.length != x.length || dy.length != g.n * g.oh * g.ow * g.c) {
    return ThrowRange(env, "maxPoolGrad: lengths do not match the geometry");
  }
  if (tl_best.size() < static_cast<size_t>(g.c)) {
    tl_best.resize(static_cast<size_t>(g.c));
    tl_pos.resize(static_cast<size_t>(g.c));
  }
  float* best = tl_best.data();
  int32_t* pos = tl_pos.data();
  if (tl_offsets.size() < static_cast<size_t>(g.fh * g.fw)) tl_offsets.resize(static_cast<size_t>(g.fh * g.fw));
  int64_t* offsets = tl_offsets.data();
  const float neg_inf = -std::numeric_limits<float>::infinity();
  std::memset(dx.data, 0, static_cast<size_t>(dx.length) * sizeof(float));
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        std::fill(best, best + g.c, neg_inf);
        std::fill(pos, pos + g.c, -1);
        // The visited pixels' offsets into x/dx, indexed by visit order (what pos records).
        int32_t visits = 0;
        ForWindow(g, x.data, b, oy, ox, [&](int32_t, const float* px) {
          offsets[visits] = px - x.data;
          ArgMaxInto(best, pos, px, visits++, g.c);
        });
        const float* d = dy.data + ((b * g.oh + oy) * g.ow + ox) * g.c;
        for (int64_t ch = 0; ch < g.c; ++ch) {
          if (pos[ch] >= 0) dx.data[offsets[pos[ch]] + ch] += d[ch];
        }
      }
    }
  }
  return nullptr;
}

}  // namespace

void InitPool(napi_env env, napi_value exports) {
  SetFunction(env, exports, "maxPool", JsMaxPool);
  SetFunction(env, exports, "maxPoolGrad", JsMaxPoolGrad);
}

}  // namespace hp
