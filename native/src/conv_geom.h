// Convolution geometry shared by conv.cc and winograd.cc (NHWC, filter [KH, KW, C, OC]).
#pragma once
#include <cstdint>

namespace hp {

struct ConvGeom {
  int64_t n, ih, iw, c;    // input
  int64_t oh, ow, oc;      // output
  int64_t kh, kw;          // filter
  int64_t sh, sw, dh, dw;  // strides, dilations
  int64_t pt, pl;          // top and left padding (bottom/right follow from the sizes)
  int64_t M() const { return n * oh * ow; }
  int64_t K() const { return kh * kw * c; }
};

enum ConvActivation { kLinear = 0, kRelu = 1 };

// Winograd F(4×4, 3×3) (or F(2×2, 3×3), winograd.cc) for 3×3, stride-1, undilated convolutions:
// a quarter to a half of the multiplies of the direct (im2col) product. Returns false (having written nothing) when the geometry is
// not one it handles or memory is short; the caller then convolves directly.
bool WinogradConv3x3(const ConvGeom& g, const float* x, const float* w, float* y, const float* bias, ConvActivation act);

// The filter gradient of such a convolution the same way (dw = Σ_tiles Gᵀ[(Bᵀ d B) ⊙ (A dY Aᵀ)]G):
// 16 products [C, tiles]·[tiles, OC]. Same contract as above.
bool WinogradFilterGrad3x3(const ConvGeom& g, const float* x, const float* dy, float* dw);

}  // namespace hp
