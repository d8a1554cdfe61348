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

// The job's next chunk and its generation share one atomic word (generation << 32 | chunk), so
// a helper that wakes late for a finished job cannot take a chunk of the next one. The caller
// waits for chunks done, not for helpers: a helper the OS has not scheduled yet (a loaded
// machine) leaves its chunks to the others instead of stalling the loop.
class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
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
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      gen = ++generation_;
      job_ = Job{fn, ctx, chunks, helpers};
      done_.store(0, std::memory_order_relaxed);
      next_.store(gen << 32, std::memory_order_release);
      published_.store(gen, std::memory_order_release);
    }
    wake_.notify_all();
    tl_in_chunk = true;
    Work(gen, job_);
    tl_in_chunk = false;
    // Wait for chunks that helpers took and still run.
    for (int spin = 0; done_.load(std::memory_order_acquire) != chunks; ++spin) {
      if (spin < kSpins) {
        CpuRelax();
      } else {
        std::unique_lock<std::mutex> lock(mu_);
        finished_.wait(lock, [&] { return done_.load(std::memory_order_acquire) == chunks; });
      }
    }
  }

 private:
  struct Job {
    detail::ChunkFn fn = nullptr;
    const void* ctx = nullptr;
    int64_t chunks = 0;
    int width = 0;  // helpers taking part
  };

  // Takes chunks of job `gen` until none is left (or the job is over).
  void Work(uint64_t gen, const Job& job) {
    for (;;) {
      uint64_t cur = next_.load(std::memory_order_acquire);
      int64_t i;
      do {
        i = static_cast<int64_t>(cur & 0xffffffffu);
        if ((cur >> 32) != gen || i >= job.chunks) return;
      } while (!next_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire));
      job.fn(job.ctx, i);
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == job.chunks) {
        std::lock_guard<std::mutex> lock(mu_);
        finished_.notify_all();
      }
    }
  }

  void HelperLoop(int index) {
    tl_in_chunk = true;  // a helper's own kernels never fan out again
    uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; published_.load(std::memory_order_acquire) == seen && spin < kSpins; ++spin) CpuRelax();
      Job job;
      uint64_t gen;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        if (stop_) return;
        seen = gen = generation_;
        job = job_;
      }
      if (index < job.width) Work(gen, job);
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, finished_;
  uint64_t generation_ = 0;  // guarded by mu_
  std::atomic<uint64_t> published_{0};  // generation_, for spinning without the lock
  std::atomic<uint64_t> next_{0};
  std::atomic<int64_t> done_{0};
  Job job_;  // guarded by mu_ (the caller reads its own copy's fields only while it runs)
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
