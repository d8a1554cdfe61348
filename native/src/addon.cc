// N-API entry point: each kernel family registers its functions on `exports`.
#include <node_api.h>

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
