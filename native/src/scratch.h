// A growable, 64-byte-aligned float buffer for per-thread scratch space. Each trial runs on
// its own worker thread, so kernels keep these as thread_local and the buffer lives (and is
// freed) with the thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace hp {

class AlignedScratch {
 public:
  AlignedScratch() = default;
  AlignedScratch(const AlignedScratch&) = delete;
  AlignedScratch& operator=(const AlignedScratch&) = delete;
  ~AlignedScratch() { std::free(data_); }

  // At least `floats` floats; the contents are not kept when the buffer grows. nullptr on
  // allocation failure.
  float* Get(int64_t floats) {
    if (floats > size_) {
      std::free(data_);
      // Whole cache lines, so aligned ymm loads of packed panels are safe.
      const size_t bytes = ((static_cast<size_t>(floats) * sizeof(float)) + 63) & ~size_t{63};
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      size_ = data_ == nullptr ? 0 : floats;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

}  // namespace hp
