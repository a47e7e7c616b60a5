#include "adam.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

namespace {

// In float, so the compiler vectorizes it (with AVX2 where the CPU has it); within float
// rounding of the JavaScript loop, which works in double.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__APPLE__)
__attribute__((target_clones("avx2", "default")))
#endif
// next may be value itself (an update in place), so neither is marked __restrict.
void adamRange(const AdamParams& p, size_t begin, size_t end, const float* value, const float* __restrict g,
               float* __restrict m, float* __restrict v, float* next) {
  const float b1 = float(p.beta1), b2 = float(p.beta2), lr = float(p.learningRate), eps = float(p.epsilon);
  const float c1 = float(p.correction1), c2 = float(p.correction2);
  for (size_t k = begin; k < end; k++) {
    const float mk = b1 * m[k] + (1 - b1) * g[k];
    const float vk = b2 * v[k] + (1 - b2) * g[k] * g[k];
    m[k] = mk;
    v[k] = vk;
    next[k] = value[k] - (lr * (mk / c1)) / (std::sqrt(vk / c2) + eps);
  }
}

}  // namespace

void adamStep(const AdamParams& p, size_t n, const float* value, const float* gradient, float* m, float* v, float* next) {
  // Threads pay off only for large variables (start-up is some tens of microseconds).
  const size_t threads = n < (1 << 18) ? 1 : std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  if (threads == 1) return adamRange(p, 0, n, value, gradient, m, v, next);
  std::vector<std::thread> pool;
  const size_t chunk = (n + threads - 1) / threads;
  for (size_t t = 0; t < threads; t++) {
    const size_t begin = t * chunk, end = std::min(n, begin + chunk);
    if (begin < end) pool.emplace_back(adamRange, std::cref(p), begin, end, value, gradient, m, v, next);
  }
  for (auto& thread : pool) thread.join();
}
