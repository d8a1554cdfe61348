// The blocked GEMM driver behind hp::sgemm, opened up for kernels whose operands are not plain
// strided matrices: a convolution packs its im2col panels straight from the image (implicit
// GEMM), so the [M, KH·KW·C] matrix is never written to memory.
//
// Layout of packed panels (BLIS): A is cut into micro-panels of kMR rows, each stored k-major
// ([kc][kMR], rows past the matrix edge zero-filled); B into micro-panels of kNR columns, each
// stored [kc][kNR] (columns past the edge zero-filled). The micro-kernel multiplies one A and one
// B micro-panel into a kMR × kNR tile of C.
#pragma once
#include <cstdint>

namespace hp {

constexpr int kMR = 6;
constexpr int kNR = 16;

// Source of op(A)[M, K]: packs rows [i0, i0+mc) × columns [k0, k0+kc) into ceil(mc/kMR)
// micro-panels at dst (kc·kMR floats each). dst has 64 floats of slack past the last panel.
class PackA {
 public:
  virtual void Pack(int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) const = 0;

 protected:
  ~PackA() = default;
};

// Source of op(B)[K, N]: packs rows [k0, k0+kc) × columns [j0, j0+nc) into ceil(nc/kNR)
// micro-panels at dst (kc·kNR floats each).
class PackB {
 public:
  virtual void Pack(int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) const = 0;
  // A source that is already packed (PackedB) returns the block's panels here, and the driver
  // skips Pack(); others return null.
  virtual const float* Packed(int64_t k0, int64_t kc, int64_t j0, int64_t nc) const {
    (void)k0, (void)kc, (void)j0, (void)nc;
    return nullptr;
  }

 protected:
  ~PackB() = default;
};

// Called once per finished block C[i0:i0+mc, j0:j0+nc] (all of K accumulated) while it is
// still in cache: the place for a fused bias and activation.
class Epilogue {
 public:
  virtual void Apply(float* c, int64_t ldc, int64_t i0, int64_t mc, int64_t j0, int64_t nc) const = 0;

 protected:
  ~Epilogue() = default;
};

// C[M, N] = alpha · A·B + beta · C (beta == 0: C is not read, so it may hold garbage).
void GemmRun(int64_t M, int64_t N, int64_t K, float alpha, const PackA& a, const PackB& b, float beta, float* C,
             int64_t ldc, const Epilogue* epilogue);

// Strided sources, the operands of plain sgemm.
class StridedA final : public PackA {
 public:
  StridedA(const float* a, int64_t lda, bool trans) : a_(a), lda_(lda), trans_(trans) {}
  void Pack(int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) const override;

 private:
  const float* a_;
  int64_t lda_;
  bool trans_;
};

class StridedB final : public PackB {
 public:
  StridedB(const float* b, int64_t ldb, bool trans) : b_(b), ldb_(ldb), trans_(trans) {}
  void Pack(int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) const override;

 private:
  const float* b_;
  int64_t ldb_;
  bool trans_;
};

// The driver's block sizes for a product of depth K and width N (a PackedB packs with these).
int64_t BlockK(int64_t K);
int64_t BlockN(int64_t N);

// Packing helpers for custom sources, dispatched to AVX2 where available.
// One A micro-panel slice: rows[r] (r < kMR) points at `len` contiguous values of row r (or is
// null for a row of zeros); writes dst[k·kMR + r] = rows[r][k] for k < len. dst must have
// 2 floats of slack past len·kMR (the AVX2 path stores 8-wide).
void PackRowsMR(const float* const* rows, int64_t len, float* dst);
// One B micro-panel row: dst[0..kNR) = src[0..n) then zeros (src may be null: all zeros).
void PackRowNR(const float* src, int64_t n, float* dst);

}  // namespace hp
