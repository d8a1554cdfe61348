// Threads inside one trial's kernels: a small pool per calling thread and a parallel-for over a
// fixed number of chunks.
//
// The determinism rule: a kernel cuts its work into chunks whose boundaries do not depend on the
// thread count, each chunk writes only its own outputs and computes them in the same order as
// the single-threaded code, and a reduction across chunks (if any) is combined by the caller in
// chunk order. Which thread runs which chunk then changes nothing, so a trial gives the same
// bits with 1, 2 or 16 threads (test/backend/native-threads.test.ts).
//
// Each JS thread that calls the addon (a trial's worker thread) owns its pool; the pool's
// helpers have their own thread_local scratch, like any kernel thread. The width is set per
// calling thread by setThreads (src/backend/native/threads.ts), which the trial's worker calls
// whenever the study re-balances its cores (src/worker/kernel-threads.ts).
#pragma once
#include <cstdint>

namespace hp {

// Threads (the caller included) that ParallelFor may use from this thread, clamped to
// [1, kMaxThreads]; 1 until set. Inside a chunk it is 1: nested loops run inline.
void SetThreads(int threads);
int Threads();
constexpr int kMaxThreads = 64;

namespace detail {
using ChunkFn = void (*)(const void* ctx, int64_t chunk);
void RunChunks(int64_t chunks, ChunkFn fn, const void* ctx);
}  // namespace detail

// Calls f(i) once for each i in [0, chunks) and returns when all are done. Chunks run on up to
// Threads() threads in any order, so f(i) must write only chunk i's outputs.
template <class F>
void ParallelFor(int64_t chunks, const F& f) {
  if (chunks <= 0) return;
  if (chunks == 1 || Threads() == 1) {
    for (int64_t i = 0; i < chunks; ++i) f(i);
    return;
  }
  detail::RunChunks(
      chunks, [](const void* ctx, int64_t i) { (*static_cast<const F*>(ctx))(i); }, &f);
}

}  // namespace hp
