// Single-precision matrix multiply shared by every kernel of the addon.
#pragma once
#include <cstdint>

namespace hp {

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major.
// op(A) = A ([M,K], leading dimension lda) or A^T (A stored [K,M]); likewise op(B).
// Single-threaded: each trial owns one core. Chooses an AVX2+FMA or a portable
// micro-kernel at run time (__builtin_cpu_supports).
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Name of the micro-kernel in use ("avx2-fma", "generic"), for the backend description.
const char* sgemm_kernel_name();

}  // namespace hp
