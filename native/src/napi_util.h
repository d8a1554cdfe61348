// Argument checking for the addon's functions. Every helper returns false after throwing a JS
// error (TypeError for a wrong type, RangeError for a bad value), so a binding can bail out
// with `return nullptr` and the caller sees an ordinary exception.
#pragma once
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace hp {

struct FloatArray {
  float* data = nullptr;
  int64_t length = 0;
};

struct IntArray {
  int32_t* data = nullptr;
  int64_t length = 0;
};

inline napi_value ThrowType(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

inline napi_value ThrowRange(napi_env env, const char* msg) {
  napi_throw_range_error(env, nullptr, msg);
  return nullptr;
}

inline bool Fail(napi_env env, const char* what, const char* expected) {
  char msg[160];
  std::snprintf(msg, sizeof msg, "argument '%s' must be %s", what, expected);
  napi_throw_type_error(env, nullptr, msg);
  return false;
}

inline bool GetArgs(napi_env env, napi_callback_info info, size_t n, napi_value* argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    ThrowType(env, "could not read the arguments");
    return false;
  }
  if (argc < n) {
    char msg[80];
    std::snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", n, argc);
    napi_throw_type_error(env, nullptr, msg);
    return false;
  }
  return true;
}

inline bool GetBool(napi_env env, napi_value v, const char* what, bool* out) {
  return napi_get_value_bool(env, v, out) == napi_ok || Fail(env, what, "a boolean");
}

inline bool GetDouble(napi_env env, napi_value v, const char* what, double* out) {
  return napi_get_value_double(env, v, out) == napi_ok || Fail(env, what, "a number");
}

// An integral number (not just any number: 2.5 rows is a caller bug worth reporting).
inline bool GetInt(napi_env env, napi_value v, const char* what, int64_t* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !std::isfinite(d) || d != std::floor(d) ||
      std::fabs(d) > 9007199254740991.0) {
    return Fail(env, what, "an integer");
  }
  *out = static_cast<int64_t>(d);
  return true;
}

inline bool GetTyped(napi_env env, napi_value v, napi_typedarray_type want, void** data, int64_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  size_t len = 0;
  // `data` already points at the view's first element (byte offset applied).
  if (napi_get_typedarray_info(env, v, &type, &len, data, nullptr, nullptr) != napi_ok || type != want) return false;
  *length = static_cast<int64_t>(len);
  return true;
}

inline bool GetFloatArray(napi_env env, napi_value v, const char* what, FloatArray* out) {
  void* data = nullptr;
  if (!GetTyped(env, v, napi_float32_array, &data, &out->length)) return Fail(env, what, "a Float32Array");
  out->data = static_cast<float*>(data);
  return true;
}

// A Float32Array or null/undefined (an optional operand such as a bias): data stays null.
inline bool GetOptionalFloatArray(napi_env env, napi_value v, const char* what, FloatArray* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return Fail(env, what, "a Float32Array or null");
  if (t == napi_null || t == napi_undefined) {
    *out = FloatArray{};
    return true;
  }
  return GetFloatArray(env, v, what, out);
}

struct ByteArray {
  uint8_t* data = nullptr;
  int64_t length = 0;
};

inline bool GetByteArray(napi_env env, napi_value v, const char* what, ByteArray* out) {
  void* data = nullptr;
  if (!GetTyped(env, v, napi_uint8_array, &data, &out->length)) return Fail(env, what, "a Uint8Array");
  out->data = static_cast<uint8_t*>(data);
  return true;
}

inline bool GetIntArray(napi_env env, napi_value v, const char* what, IntArray* out) {
  void* data = nullptr;
  if (!GetTyped(env, v, napi_int32_array, &data, &out->length)) return Fail(env, what, "an Int32Array");
  out->data = static_cast<int32_t*>(data);
  return true;
}

// Registers `fn` as exports[name]; a failure here leaves the function missing, which the JS
// loader reports (it checks every function it uses).
inline void SetFunction(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f) == napi_ok) {
    napi_set_named_property(env, exports, name, f);
  }
}

}  // namespace hp
