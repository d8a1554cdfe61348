// N-API entry point: each kernel family registers its functions on `exports`.
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hp {
void InitGemm(napi_env env, napi_value exports);
void InitConv(napi_env env, napi_value exports);
void InitElementwise(napi_env env, napi_value exports);
void InitPool(napi_env env, napi_value exports);
void InitGru(napi_env env, napi_value exports);
void InitAdam(napi_env env, napi_value exports);
void InitDropout(napi_env env, napi_value exports);
void InitParallel(napi_env env, napi_value exports);
}  // namespace hp

static napi_value Init(napi_env env, napi_value exports) {
#if defined(__GLIBC__)
  // A fixed mmap threshold: every allocation of 64 KiB or more (array buffers of batches,
  // evaluation outputs, kernel outputs outside the pool) gets its own mapping, returned to the
  // OS when it is freed. glibc's default threshold rises to the size of each large block freed
  // (up to 32 MiB), after which such blocks come from the per-thread arenas, which fragment
  // and never shrink: a 2-worker study on an 8 GiB HDF5 file peaked at 980 MB with the
  // default and 870 MB with this, the same study on 1 GiB at 818 and 735 MB, and the training
  // steps of scripts/bench/training-step.ts kept their times (docs/performance.md, "Lazy data
  // by the batch"). Process-wide and idempotent: every thread that loads the addon sets it.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
  hp::InitGemm(env, exports);
  hp::InitConv(env, exports);
  hp::InitElementwise(env, exports);
  hp::InitPool(env, exports);
  hp::InitGru(env, exports);
  hp::InitAdam(env, exports);
  hp::InitDropout(env, exports);
  hp::InitParallel(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
