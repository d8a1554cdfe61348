// HP_CLONES: compile a function twice, for AVX2 and for any x86-64, and pick one at load
// time (GCC function multi-versioning), so one addon build runs fast on AVX2 machines and
// still runs on older ones. Elsewhere it expands to nothing.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define HP_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HP_CLONES
#endif
