// The pool behind hp::ParallelFor (parallel.h). A job is (chunks, function); the caller and
// its helpers take chunk indices from one atomic counter until none is left. Helpers spin for
// a few microseconds after a job before they sleep, since a training step issues its parallel
// loops back to back (a GRU step: one product per timestep).
#include "parallel.h"

#include <node_api.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "napi_util.h"

namespace hp {
namespace {

thread_local bool tl_in_chunk = false;
thread_local int tl_threads = 1;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

constexpr int kSpins = 4000;  // some 50–100 µs of pause before a thread sleeps

class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& t : helpers_) t.join();
  }

  void Run(int width, int64_t chunks, detail::ChunkFn fn, const void* ctx) {
    const int helpers = static_cast<int>(std::min<int64_t>(width - 1, chunks - 1));
    while (static_cast<int>(helpers_.size()) < helpers) {
      const int index = static_cast<int>(helpers_.size());
      helpers_.emplace_back([this, index] { HelperLoop(index); });
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = fn;
      ctx_ = ctx;
      chunks_ = chunks;
      next_.store(0, std::memory_order_relaxed);
      width_ = helpers;
      pending_.store(helpers, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    tl_in_chunk = true;
    Work();
    tl_in_chunk = false;
    // Wait for the helpers' last chunks (short: every chunk is already taken).
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin < kSpins) {
        CpuRelax();
      } else {
        std::unique_lock<std::mutex> lock(mu_);
        done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
      }
    }
  }

 private:
  void Work() {
    for (;;) {
      const int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= chunks_) return;
      fn_(ctx_, i);
    }
  }

  void HelperLoop(int index) {
    tl_in_chunk = true;  // a helper's own kernels never fan out again
    uint64_t seen = 0;
    for (;;) {
      uint64_t g = generation_.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && spin < kSpins; ++spin) {
        CpuRelax();
        g = generation_.load(std::memory_order_acquire);
      }
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      seen = generation_.load(std::memory_order_acquire);
      if (stop_) return;
      const bool mine = index < width_;
      lock.unlock();
      if (!mine) continue;
      Work();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> relock(mu_);
        done_.notify_one();
      }
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> pending_{0};
  detail::ChunkFn fn_ = nullptr;
  const void* ctx_ = nullptr;
  int64_t chunks_ = 0;
  int width_ = 0;
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

// The calling thread's pool, made on its first parallel loop and joined when the thread ends.
Pool& ThisThreadPool() {
  thread_local std::unique_ptr<Pool> pool(new Pool());
  return *pool;
}

}  // namespace

void SetThreads(int threads) { tl_threads = std::max(1, std::min(threads, kMaxThreads)); }

int Threads() { return tl_in_chunk ? 1 : tl_threads; }

namespace detail {
void RunChunks(int64_t chunks, ChunkFn fn, const void* ctx) { ThisThreadPool().Run(Threads(), chunks, fn, ctx); }
}  // namespace detail

namespace {

// setThreads(n): this JS thread's kernels use up to n threads from now on; returns the count
// in effect (n clamped to [1, kMaxThreads]).
napi_value JsSetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!GetArgs(env, info, 1, argv)) return nullptr;
  int64_t n = 0;
  if (!GetInt(env, argv[0], "threads", &n)) return nullptr;
  SetThreads(static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n, kMaxThreads))));
  napi_value out;
  if (napi_create_int32(env, Threads(), &out) != napi_ok) return nullptr;
  return out;
}

}  // namespace

void InitParallel(napi_env env, napi_value exports) { SetFunction(env, exports, "setThreads", JsSetThreads); }

}  // namespace hp
