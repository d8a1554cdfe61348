// NHWC max pooling and its gradient. The cpu backend's MaxPoolGrad recomputes the arg-max of
// every window through generic 4-D index helpers (~600 ms for one [64, 11, 17, 64] pool); here
// it is one pass. Ties and NaN follow tfjs: the first strictly greater value of the window in
// scan order wins (starting from −∞), so NaN never wins and an all-NaN window passes no gradient.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

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

thread_local std::vector<int64_t> tl_argmax;

// For output pixel (b, y, x): per channel, the flat input index of the window's max (−1 if none).
void WindowArgMax(const PoolGeom& g, const float* in, int64_t b, int64_t y, int64_t x, float* best, int64_t* arg) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t ch = 0; ch < g.c; ++ch) {
    best[ch] = neg_inf;
    arg[ch] = -1;
  }
  for (int64_t fy = 0; fy < g.fh; ++fy) {
    const int64_t iy = y * g.sh + fy * g.dh - g.pt;
    if (iy < 0 || iy >= g.ih) continue;
    for (int64_t fx = 0; fx < g.fw; ++fx) {
      const int64_t ix = x * g.sw + fx * g.dw - g.pl;
      if (ix < 0 || ix >= g.iw) continue;
      const int64_t base = ((b * g.ih + iy) * g.iw + ix) * g.c;
      const float* px = in + base;
      for (int64_t ch = 0; ch < g.c; ++ch) {
        if (px[ch] > best[ch]) {
          best[ch] = px[ch];
          arg[ch] = base + ch;
        }
      }
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
  if (tl_argmax.size() < static_cast<size_t>(g.c)) tl_argmax.resize(static_cast<size_t>(g.c));
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        float* out = y.data + ((b * g.oh + oy) * g.ow + ox) * g.c;
        WindowArgMax(g, x.data, b, oy, ox, out, tl_argmax.data());
      }
    }
  }
  return nullptr;
}

// maxPoolGrad(dy, x, dx, geometry): dx[argmax of each window] += dy.
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
  if (tl_argmax.size() < static_cast<size_t>(g.c)) tl_argmax.resize(static_cast<size_t>(g.c));
  std::vector<float> best(static_cast<size_t>(g.c));
  std::memset(dx.data, 0, static_cast<size_t>(dx.length) * sizeof(float));
  int64_t* arg = tl_argmax.data();
  for (int64_t b = 0; b < g.n; ++b) {
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        WindowArgMax(g, x.data, b, oy, ox, best.data(), arg);
        const float* d = dy.data + ((b * g.oh + oy) * g.ow + ox) * g.c;
        for (int64_t ch = 0; ch < g.c; ++ch) {
          if (arg[ch] >= 0) dx.data[arg[ch]] += d[ch];
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
