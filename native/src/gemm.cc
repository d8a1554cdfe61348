// SGEMM: BLIS-style blocking (NC → KC → MC), packed A and B panels and a 6×16
// register-blocked micro-kernel (AVX2 + FMA: 12 ymm accumulators, 2 B loads and 6 broadcasts
// per 12 FMAs), chosen at run time; a portable micro-kernel otherwise.
//
// Block sizes are for one Zen 3 core (32 KiB L1d, 512 KiB L2, L3 shared): the kc×16 B
// micro-panel (16 KiB at kc = 256) stays in L1 while the mc×kc A block (144 KiB) streams from
// L2, and the kc×nc B block lives in L3.
#include "scratch.h"
#include "gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "gemm_driver.h"
#include "napi_util.h"
#include "parallel.h"

namespace hp {
namespace {

constexpr int64_t kKC = 256;
constexpr int64_t kMC = 144;  // multiple of kMR
constexpr int64_t kNC = 4080;  // multiple of kNR
constexpr int64_t kSlack = 64;
// Below this many multiply-adds (~10 µs) a product runs on one thread.
constexpr int64_t kParallelMinMacs = int64_t{1} << 17;

// Micro-kernel: C[mr, nr] = alpha · Ap·Bp + beta · C, for packed micro-panels of depth kc.
// beta == 0 never reads C.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                             float beta, int mr, int nr);

// Writes a finished kMR × kNR accumulator tile (row-major in `t`) into C.
inline void StoreTile(const float* t, float* c, int64_t ldc, float alpha, float beta, int mr, int nr) {
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    const float* ti = t + i * kNR;
    if (beta == 0.0f) {
      for (int j = 0; j < nr; ++j) ci[j] = alpha * ti[j];
    } else {
      for (int j = 0; j < nr; ++j) ci[j] = alpha * ti[j] + beta * ci[j];
    }
  }
}

void MicroKernelGeneric(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
                        int mr, int nr) {
  float t[kMR * kNR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < kMR; ++i) {
      const float ai = a[i];
      for (int j = 0; j < kNR; ++j) t[i * kNR + j] += ai * b[j];
    }
    a += kMR;
    b += kNR;
  }
  StoreTile(t, c, ldc, alpha, beta, mr, nr);
}

void PackRowsMRGeneric(const float* const* rows, int64_t len, float* dst) {
  for (int r = 0; r < kMR; ++r) {
    const float* src = rows[r];
    if (src == nullptr) {
      for (int64_t k = 0; k < len; ++k) dst[k * kMR + r] = 0.0f;
    } else {
      for (int64_t k = 0; k < len; ++k) dst[k * kMR + r] = src[k];
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
#define HP_X86 1

#define HP_AVX2 __attribute__((target("avx2,fma")))

HP_AVX2 void MicroKernelAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                             float beta, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // Touch the C tile early so its lines arrive while the k loop runs.
  if (beta != 0.0f) {
    for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  }
#define HP_STEP(K)                                                   \
  {                                                                  \
    const __m256 b0 = _mm256_load_ps(b + (K) * kNR);                 \
    const __m256 b1 = _mm256_load_ps(b + (K) * kNR + 8);             \
    __m256 av = _mm256_broadcast_ss(a + (K) * kMR + 0);              \
    c00 = _mm256_fmadd_ps(av, b0, c00);                              \
    c01 = _mm256_fmadd_ps(av, b1, c01);                              \
    av = _mm256_broadcast_ss(a + (K) * kMR + 1);                     \
    c10 = _mm256_fmadd_ps(av, b0, c10);                              \
    c11 = _mm256_fmadd_ps(av, b1, c11);                              \
    av = _mm256_broadcast_ss(a + (K) * kMR + 2);                     \
    c20 = _mm256_fmadd_ps(av, b0, c20);                              \
    c21 = _mm256_fmadd_ps(av, b1, c21);                              \
    av = _mm256_broadcast_ss(a + (K) * kMR + 3);                     \
    c30 = _mm256_fmadd_ps(av, b0, c30);                              \
    c31 = _mm256_fmadd_ps(av, b1, c31);                              \
    av = _mm256_broadcast_ss(a + (K) * kMR + 4);                     \
    c40 = _mm256_fmadd_ps(av, b0, c40);                              \
    c41 = _mm256_fmadd_ps(av, b1, c41);                              \
    av = _mm256_broadcast_ss(a + (K) * kMR + 5);                     \
    c50 = _mm256_fmadd_ps(av, b0, c50);                              \
    c51 = _mm256_fmadd_ps(av, b1, c51);                              \
  }
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 4 * kMR * 8), _MM_HINT_T0);
    HP_STEP(0)
    HP_STEP(1)
    HP_STEP(2)
    HP_STEP(3)
    a += 4 * kMR;
    b += 4 * kNR;
  }
  for (; k < kc; ++k) {
    HP_STEP(0)
    a += kMR;
    b += kNR;
  }
#undef HP_STEP
  const __m256 va = _mm256_set1_ps(alpha);
  if (mr == kMR && nr == kNR) {
    __m256 acc[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (beta == 0.0f) {
      for (int i = 0; i < kMR; ++i) {
        _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc[i][0]));
        _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc[i][1]));
      }
    } else if (beta == 1.0f) {
      for (int i = 0; i < kMR; ++i) {
        _mm256_storeu_ps(c + i * ldc, _mm256_fmadd_ps(va, acc[i][0], _mm256_loadu_ps(c + i * ldc)));
        _mm256_storeu_ps(c + i * ldc + 8, _mm256_fmadd_ps(va, acc[i][1], _mm256_loadu_ps(c + i * ldc + 8)));
      }
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
      for (int i = 0; i < kMR; ++i) {
        _mm256_storeu_ps(c + i * ldc,
                         _mm256_fmadd_ps(va, acc[i][0], _mm256_mul_ps(vb, _mm256_loadu_ps(c + i * ldc))));
        _mm256_storeu_ps(c + i * ldc + 8,
                         _mm256_fmadd_ps(va, acc[i][1], _mm256_mul_ps(vb, _mm256_loadu_ps(c + i * ldc + 8))));
      }
    }
    return;
  }
  alignas(32) float t[kMR * kNR];
  _mm256_store_ps(t + 0 * kNR, c00);
  _mm256_store_ps(t + 0 * kNR + 8, c01);
  _mm256_store_ps(t + 1 * kNR, c10);
  _mm256_store_ps(t + 1 * kNR + 8, c11);
  _mm256_store_ps(t + 2 * kNR, c20);
  _mm256_store_ps(t + 2 * kNR + 8, c21);
  _mm256_store_ps(t + 3 * kNR, c30);
  _mm256_store_ps(t + 3 * kNR + 8, c31);
  _mm256_store_ps(t + 4 * kNR, c40);
  _mm256_store_ps(t + 4 * kNR + 8, c41);
  _mm256_store_ps(t + 5 * kNR, c50);
  _mm256_store_ps(t + 5 * kNR + 8, c51);
  StoreTile(t, c, ldc, alpha, beta, mr, nr);
}

// 8 k-columns of 6 rows at a time: an 8×8 in-register transpose (rows 6 and 7 zero), each
// transposed column stored 8 wide at dst + k·6; the 2 extra lanes are overwritten by the next
// store (hence the slack the contract asks for).
HP_AVX2 void PackRowsMRAvx2(const float* const* rows, int64_t len, float* dst) {
  static_assert(kMR == 6, "the transpose below is written for 6 rows");
  const __m256 zero = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= len; k += 8) {
    __m256 r0 = rows[0] ? _mm256_loadu_ps(rows[0] + k) : zero;
    __m256 r1 = rows[1] ? _mm256_loadu_ps(rows[1] + k) : zero;
    __m256 r2 = rows[2] ? _mm256_loadu_ps(rows[2] + k) : zero;
    __m256 r3 = rows[3] ? _mm256_loadu_ps(rows[3] + k) : zero;
    __m256 r4 = rows[4] ? _mm256_loadu_ps(rows[4] + k) : zero;
    __m256 r5 = rows[5] ? _mm256_loadu_ps(rows[5] + k) : zero;
    // Standard 8×8 transpose with r6 = r7 = 0.
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, zero, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s5 = _mm256_shuffle_ps(t4, zero, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, zero, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s7 = _mm256_shuffle_ps(t5, zero, _MM_SHUFFLE(3, 2, 3, 2));
    float* d = dst + k * kMR;
    _mm256_storeu_ps(d + 0 * kMR, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(d + 1 * kMR, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(d + 2 * kMR, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(d + 3 * kMR, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(d + 4 * kMR, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(d + 5 * kMR, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(d + 6 * kMR, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(d + 7 * kMR, _mm256_permute2f128_ps(s3, s7, 0x31));
  }
  for (; k < len; ++k) {
    float* d = dst + k * kMR;
    for (int r = 0; r < kMR; ++r) d[r] = rows[r] ? rows[r][k] : 0.0f;
  }
}
// One full B micro-panel from B stored [N, K] (op(B) = Bᵀ): dst[k·16 + c] = b[c·ldb + k] for 16
// columns c, via two 8×8 in-register transposes per 8 k (the scalar gather writes one float per
// 64-byte line).
HP_AVX2 void PackBTransPanelAvx2(const float* b, int64_t ldb, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int half = 0; half < 2; ++half) {
      const float* s = b + half * 8 * ldb + k;
      __m256 r0 = _mm256_loadu_ps(s + 0 * ldb), r1 = _mm256_loadu_ps(s + 1 * ldb);
      __m256 r2 = _mm256_loadu_ps(s + 2 * ldb), r3 = _mm256_loadu_ps(s + 3 * ldb);
      __m256 r4 = _mm256_loadu_ps(s + 4 * ldb), r5 = _mm256_loadu_ps(s + 5 * ldb);
      __m256 r6 = _mm256_loadu_ps(s + 6 * ldb), r7 = _mm256_loadu_ps(s + 7 * ldb);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
      __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
      __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
      __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
      float* d = dst + k * kNR + half * 8;
      _mm256_storeu_ps(d + 0 * kNR, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(d + 1 * kNR, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(d + 2 * kNR, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(d + 3 * kNR, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(d + 4 * kNR, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(d + 5 * kNR, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(d + 6 * kNR, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(d + 7 * kNR, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
  }
  for (; k < kc; ++k) {
    for (int c = 0; c < kNR; ++c) dst[k * kNR + c] = b[c * ldb + k];
  }
}
#endif

void PackBTransPanelGeneric(const float* b, int64_t ldb, int64_t kc, float* dst) {
  for (int c = 0; c < kNR; ++c) {
    const float* s = b + c * ldb;
    for (int64_t k = 0; k < kc; ++k) dst[k * kNR + c] = s[k];
  }
}

struct Isa {
  MicroKernel kernel;
  void (*pack_rows)(const float* const*, int64_t, float*);
  void (*pack_b_trans)(const float*, int64_t, int64_t, float*);
  const char* name;
};

const Isa& ActiveIsa() {
  // A function-local static: initialised once, thread-safely (C++11), in whichever worker
  // thread first multiplies.
  static const Isa isa = [] {
#ifdef HP_X86
    if (std::getenv("HPSEARCH_NATIVE_GENERIC") == nullptr && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma")) {
      return Isa{MicroKernelAvx2, PackRowsMRAvx2, PackBTransPanelAvx2, "avx2-fma"};
    }
#endif
    return Isa{MicroKernelGeneric, PackRowsMRGeneric, PackBTransPanelGeneric, "generic"};
  }();
  return isa;
}

// Per-thread packing buffers: the study trains one trial per worker thread, and each thread's
// buffers live as long as the thread (freed by the thread_local destructor).
thread_local AlignedScratch tl_pack_a;
thread_local AlignedScratch tl_pack_b;

// Splits `total` into blocks of at most `max` and nearly equal size, rounded up to `align`,
// so that K = 576 runs as 3 × 192 rather than 256 + 256 + 64.
int64_t BalancedBlock(int64_t total, int64_t max, int64_t align) {
  if (total <= 0) return align;
  const int64_t blocks = (total + max - 1) / max;
  int64_t b = (total + blocks - 1) / blocks;
  b = (b + align - 1) / align * align;
  return std::min(b, std::max<int64_t>(max, align));
}

void ScaleC(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* ci = C + i * ldc;
    if (beta == 0.0f) {
      std::memset(ci, 0, static_cast<size_t>(N) * sizeof(float));
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < N; ++j) ci[j] *= beta;
    }
  }
}

}  // namespace

void PackRowsMR(const float* const* rows, int64_t len, float* dst) { ActiveIsa().pack_rows(rows, len, dst); }

void PackRowNR(const float* src, int64_t n, float* dst) {
  int64_t j = 0;
  if (src != nullptr) {
    for (; j < n; ++j) dst[j] = src[j];
  }
  for (; j < kNR; ++j) dst[j] = 0.0f;
}

void StridedA::Pack(int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) const {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int rows = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
    float* d = dst + ir * kc;
    if (!trans_) {
      const float* src[kMR];
      for (int r = 0; r < kMR; ++r) src[r] = r < rows ? a_ + (i0 + ir + r) * lda_ + k0 : nullptr;
      PackRowsMR(src, kc, d);
    } else {
      // A stored [K, M]: each k gives kMR contiguous values.
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = a_ + (k0 + k) * lda_ + i0 + ir;
        float* dk = d + k * kMR;
        if (rows == kMR) {
          std::memcpy(dk, s, kMR * sizeof(float));  // fixed size: inlined
          continue;
        }
        int r = 0;
        for (; r < rows; ++r) dk[r] = s[r];
        for (; r < kMR; ++r) dk[r] = 0.0f;
      }
    }
  }
}

void StridedB::Pack(int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) const {
  for (int64_t jr = 0; jr < nc; jr += kNR) {
    const int cols = static_cast<int>(std::min<int64_t>(kNR, nc - jr));
    float* d = dst + jr * kc;
    if (!trans_) {
      const float* src = b_ + k0 * ldb_ + j0 + jr;
      if (cols == kNR) {
        for (int64_t k = 0; k < kc; ++k) std::memcpy(d + k * kNR, src + k * ldb_, kNR * sizeof(float));
      } else {
        for (int64_t k = 0; k < kc; ++k) PackRowNR(src + k * ldb_, cols, d + k * kNR);
      }
    } else if (cols == kNR) {
      ActiveIsa().pack_b_trans(b_ + (j0 + jr) * ldb_ + k0, ldb_, kc, d);
    } else {
      // B stored [N, K]: column j of op(B) is row j of B; walk each row once.
      for (int c = 0; c < cols; ++c) {
        const float* s = b_ + (j0 + jr + c) * ldb_ + k0;
        for (int64_t k = 0; k < kc; ++k) d[k * kNR + c] = s[k];
      }
      for (int c = cols; c < kNR; ++c) {
        for (int64_t k = 0; k < kc; ++k) d[k * kNR + c] = 0.0f;
      }
    }
  }
}

void GemmRun(int64_t M, int64_t N, int64_t K, float alpha, const PackA& a, const PackB& b, float beta, float* C,
             int64_t ldc, const Epilogue* epilogue) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    ScaleC(M, N, beta, C, ldc);
    if (epilogue != nullptr) epilogue->Apply(C, ldc, 0, M, 0, N);
    return;
  }
  const Isa& isa = ActiveIsa();
  const int64_t kc_max = BlockK(K);
  const int64_t mc_max = BalancedBlock(M, kMC, kMR);
  const int64_t nc_max = BlockN(N);
  const bool prepacked = b.Packed(0, kc_max, 0, nc_max) != nullptr;
  const bool single_ic = M <= mc_max;
  // Threads share a product by output blocks (rows of mc, or panels of kNR columns); each
  // C element still sums its K in the same blocks and order, so the thread count changes no
  // bit (parallel.h). Small products stay on one thread: a hand-over costs a few µs.
  const bool parallel = Threads() > 1 && M * N * K >= kParallelMinMacs;
  float* pa = tl_pack_a.Get(mc_max * kc_max + kSlack);
  float* pb = prepacked ? nullptr : tl_pack_b.Get((single_ic ? kNR : nc_max) * kc_max + kSlack);
  if (pa == nullptr || (pb == nullptr && !prepacked)) {
    // Out of memory for a few hundred KiB of panels: nothing sensible left to do.
    std::abort();
  }
  for (int64_t jc = 0; jc < N; jc += nc_max) {
    const int64_t nc = std::min(nc_max, N - jc);
    const int64_t panels = (nc + kNR - 1) / kNR;
    for (int64_t pc = 0; pc < K; pc += kc_max) {
      const int64_t kc = std::min(kc_max, K - pc);
      const float beta_k = pc == 0 ? beta : 1.0f;
      const bool last_k = pc + kc >= K;
      if (single_ic) {
        // One block of rows (M ≤ MC: a GRU batch, a dense layer, a filter gradient's OC rows):
        // each B panel serves this block only, so it is packed just before use (into the
        // running thread's buffer) and consumed from L1.
        a.Pack(0, M, pc, kc, pa);
        const auto panel = [&](int64_t p) {
          const int64_t jr = p * kNR;
          const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - jr));
          const float* bp;
          if (prepacked) {
            bp = b.Packed(pc, kc, jc, nc) + jr * kc;
          } else {
            float* own = tl_pack_b.Get(kNR * kc_max + kSlack);
            if (own == nullptr) std::abort();
            b.Pack(pc, kc, jc + jr, nr, own);
            bp = own;
          }
          for (int64_t ir = 0; ir < M; ir += kMR) {
            const int mr = static_cast<int>(std::min<int64_t>(kMR, M - ir));
            isa.kernel(kc, pa + ir * kc, bp, C + ir * ldc + jc + jr, ldc, alpha, beta_k, mr, nr);
          }
        };
        if (parallel) {
          ParallelFor(panels, panel);
        } else {
          for (int64_t p = 0; p < panels; ++p) panel(p);
        }
        if (last_k && epilogue != nullptr) epilogue->Apply(C + jc, ldc, 0, M, jc, nc);
        continue;
      }
      const float* bp_block = prepacked ? b.Packed(pc, kc, jc, nc) : pb;
      if (!prepacked) {
        // Panel by panel: the same layout as one Pack of the block (gemm_driver.h).
        const auto pack_panel = [&](int64_t p) {
          const int64_t jr = p * kNR;
          b.Pack(pc, kc, jc + jr, std::min<int64_t>(kNR, nc - jr), pb + jr * kc);
        };
        if (parallel) {
          ParallelFor(panels, pack_panel);
        } else {
          b.Pack(pc, kc, jc, nc, pb);
        }
      }
      const auto row_block = [&](int64_t bi) {
        const int64_t ic = bi * mc_max;
        const int64_t mc = std::min(mc_max, M - ic);
        float* own = tl_pack_a.Get(mc_max * kc_max + kSlack);
        if (own == nullptr) std::abort();
        a.Pack(ic, mc, pc, kc, own);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - jr));
          const float* bp = bp_block + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
            isa.kernel(kc, own + ir * kc, bp, C + (ic + ir) * ldc + jc + jr, ldc, alpha, beta_k, mr, nr);
          }
        }
        if (last_k && epilogue != nullptr) epilogue->Apply(C + ic * ldc + jc, ldc, ic, mc, jc, nc);
      };
      const int64_t blocks = (M + mc_max - 1) / mc_max;
      if (parallel) {
        ParallelFor(blocks, row_block);
      } else {
        for (int64_t bi = 0; bi < blocks; ++bi) row_block(bi);
      }
    }
  }
}

int64_t BlockK(int64_t K) { return BalancedBlock(K, kKC, 4); }
int64_t BlockN(int64_t N) { return BalancedBlock(N, kNC, kNR); }

// Layout: column blocks of BlockN(N) (the last one padded to whole kNR panels), each made of
// row blocks of BlockK(K) holding that block's panels as the driver packs them. Block (k0, j0)
// therefore starts at j0·K + k0·(padded width of its column block).
PackedB::~PackedB() { std::free(data_); }

bool PackedB::Pack(bool transB, int64_t K, int64_t N, const float* B, int64_t ldb) {
  const int64_t n_pad = (N + kNR - 1) / kNR * kNR;
  const int64_t need = n_pad * K + kSlack;
  if (need > capacity_) {
    std::free(data_);
    const size_t bytes = (static_cast<size_t>(need) * sizeof(float) + 63) & ~size_t{63};
    data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    capacity_ = data_ == nullptr ? 0 : need;
    if (data_ == nullptr) return false;
  }
  k_ = K;
  n_ = N;
  const StridedB src(B, ldb, transB);
  const int64_t kc_max = BlockK(K), nc_max = BlockN(N);
  for (int64_t jc = 0; jc < N; jc += nc_max) {
    const int64_t nc = std::min(nc_max, N - jc);
    for (int64_t pc = 0; pc < K; pc += kc_max) {
      src.Pack(pc, std::min(kc_max, K - pc), jc, nc, const_cast<float*>(Block(pc, jc)));
    }
  }
  return true;
}

const float* PackedB::Block(int64_t k0, int64_t j0) const {
  const int64_t nc = std::min(BlockN(n_), n_ - j0);
  const int64_t nc_pad = (nc + kNR - 1) / kNR * kNR;
  return data_ + j0 * k_ + k0 * nc_pad;
}

namespace {
class PrepackedSource final : public PackB {
 public:
  explicit PrepackedSource(const PackedB& b) : b_(b) {}
  void Pack(int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) const override {
    std::memcpy(dst, b_.Block(k0, j0), static_cast<size_t>((nc + kNR - 1) / kNR * kNR * kc) * sizeof(float));
  }
  const float* Packed(int64_t k0, int64_t, int64_t j0, int64_t) const override { return b_.Block(k0, j0); }

 private:
  const PackedB& b_;
};
}  // namespace

void sgemm_prepacked(bool transA, int64_t M, float alpha, const float* A, int64_t lda, const PackedB& B, float beta, float* C,
                     int64_t ldc) {
  const StridedA a(A, lda, transA);
  const PrepackedSource b(B);
  GemmRun(M, B.N(), B.K(), alpha, a, b, beta, C, ldc, nullptr);
}

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const StridedA a(A, lda, transA);
  const StridedB b(B, ldb, transB);
  GemmRun(M, N, K, alpha, a, b, beta, C, ldc, nullptr);
}

const char* sgemm_kernel_name() { return ActiveIsa().name; }

namespace {

struct Operands {
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0, lda = 0, ldb = 0, ldc = 0;
  float alpha = 0, beta = 0;
  const float* A = nullptr;
  const float* B = nullptr;
  float* C = nullptr;
};

// Reads (transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) from argv[0..12] and checks
// that every operand holds the extent its shape needs; throws a JS error and returns false if not.
bool GetOperands(napi_env env, napi_value* argv, Operands* o) {
  double alpha = 0, beta = 0;
  FloatArray A, B, C;
  if (!GetBool(env, argv[0], "transA", &o->ta) || !GetBool(env, argv[1], "transB", &o->tb) ||
      !GetInt(env, argv[2], "M", &o->M) || !GetInt(env, argv[3], "N", &o->N) || !GetInt(env, argv[4], "K", &o->K) ||
      !GetDouble(env, argv[5], "alpha", &alpha) || !GetFloatArray(env, argv[6], "A", &A) ||
      !GetInt(env, argv[7], "lda", &o->lda) || !GetFloatArray(env, argv[8], "B", &B) ||
      !GetInt(env, argv[9], "ldb", &o->ldb) || !GetDouble(env, argv[10], "beta", &beta) ||
      !GetFloatArray(env, argv[11], "C", &C) || !GetInt(env, argv[12], "ldc", &o->ldc)) {
    return false;
  }
  const int64_t M = o->M, N = o->N, K = o->K;
  if (M < 0 || N < 0 || K < 0) {
    ThrowRange(env, "sgemm: M, N and K must be non-negative");
    return false;
  }
  // Rows × columns of each operand as stored, and the extent rows·ld needs.
  const int64_t ar = o->ta ? K : M, ac = o->ta ? M : K;
  const int64_t br = o->tb ? N : K, bc = o->tb ? K : N;
  if (o->lda < std::max<int64_t>(ac, 1) || o->ldb < std::max<int64_t>(bc, 1) || o->ldc < std::max<int64_t>(N, 1)) {
    ThrowRange(env, "sgemm: a leading dimension is smaller than its row length");
    return false;
  }
  auto extent = [](int64_t rows, int64_t cols, int64_t ld) { return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols; };
  const char* bad = A.length < extent(ar, ac, o->lda)   ? "sgemm: A is too short for its shape"
                    : B.length < extent(br, bc, o->ldb) ? "sgemm: B is too short for its shape"
                    : C.length < extent(M, N, o->ldc)   ? "sgemm: C is too short for its shape"
                                                        : nullptr;
  if (bad != nullptr) {
    ThrowRange(env, bad);
    return false;
  }
  o->alpha = static_cast<float>(alpha);
  o->beta = static_cast<float>(beta);
  o->A = A.data;
  o->B = B.data;
  o->C = C.data;
  return true;
}

// sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): the contract of
// hp::sgemm on Float32Arrays.
napi_value JsSgemm(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!GetArgs(env, info, 13, argv)) return nullptr;
  Operands o;
  if (!GetOperands(env, argv, &o)) return nullptr;
  sgemm(o.ta, o.tb, o.M, o.N, o.K, o.alpha, o.A, o.lda, o.B, o.ldb, o.beta, o.C, o.ldc);
  return nullptr;
}

// sgemmPrepacked(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, repeat): the same
// product through PackedB (B packed once, then `repeat` products into C): tests the prepacked
// path and times it against sgemm.
napi_value JsSgemmPrepacked(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (!GetArgs(env, info, 14, argv)) return nullptr;
  int64_t repeat = 0;
  if (!GetInt(env, argv[13], "repeat", &repeat)) return nullptr;
  if (repeat < 1) return ThrowRange(env, "sgemmPrepacked: repeat must be at least 1");
  Operands o;
  if (!GetOperands(env, argv, &o)) return nullptr;
  PackedB packed;
  if (!packed.Pack(o.tb, o.K, o.N, o.B, o.ldb)) return ThrowRange(env, "sgemmPrepacked: out of memory");
  for (int64_t r = 0; r < repeat; ++r) sgemm_prepacked(o.ta, o.M, o.alpha, o.A, o.lda, packed, o.beta, o.C, o.ldc);
  return nullptr;
}

napi_value JsKernelName(napi_env env, napi_callback_info) {
  napi_value out;
  if (napi_create_string_utf8(env, sgemm_kernel_name(), NAPI_AUTO_LENGTH, &out) != napi_ok) return nullptr;
  return out;
}

}  // namespace

void InitGemm(napi_env env, napi_value exports) {
  SetFunction(env, exports, "sgemm", JsSgemm);
  SetFunction(env, exports, "sgemmPrepacked", JsSgemmPrepacked);
  SetFunction(env, exports, "sgemmKernel", JsKernelName);
}

}  // namespace hp
