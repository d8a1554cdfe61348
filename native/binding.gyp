{
  "targets": [
    {
      "target_name": "hpsearch_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/conv.cc", "src/winograd.cc", "src/elementwise.cc", "src/max-pool.cc", "src/gru.cc", "src/adam.cc", "src/dropout.cc", "src/parallel.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
