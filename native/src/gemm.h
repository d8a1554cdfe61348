// Single-precision matrix multiply shared by every kernel of the addon.
#pragma once
#include <cstdint>

namespace hp {

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major.
// op(A) = A ([M,K], leading dimension lda) or A^T (A stored [K,M]); likewise op(B).
// Runs on up to hp::Threads() threads (parallel.h) with the same result for any count. Chooses an AVX2+FMA or a portable
// micro-kernel at run time (__builtin_cpu_supports).
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// op(B) [K, N] packed once into the driver's panel layout, for operands used in many products
// (a recurrent weight multiplies every timestep: packing it per call costs ~0.1 ms of the
// ~0.35 ms of a [32, 256]·[256, 768] product). Owns its memory; not copyable.
class PackedB {
 public:
  PackedB() = default;
  PackedB(const PackedB&) = delete;
  PackedB& operator=(const PackedB&) = delete;
  ~PackedB();
  // Packs op(B) (B stored [K, N], or [N, K] when transB); false if out of memory. May be called
  // again to repack (e.g. after the weights change).
  bool Pack(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb);
  int64_t K() const { return k_; }
  int64_t N() const { return n_; }
  // Panels of the block of rows [k0, k0+kc) and columns [j0, j0+nc) (driver blocking).
  const float* Block(int64_t k0, int64_t j0) const;

 private:
  float* data_ = nullptr;
  int64_t k_ = 0, n_ = 0, capacity_ = 0;
};

// C[M,N] = alpha * op(A)[M,K] * B + beta * C with B packed beforehand (K = B.K(), N = B.N()).
void sgemm_prepacked(bool transA, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B, float beta, float* C,
                     int64_t ldc);

// Name of the micro-kernel in use ("avx2-fma", "generic"), for the backend description.
const char* sgemm_kernel_name();

}  // namespace hp
