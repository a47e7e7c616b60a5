// One Adam step over a variable, split across threads: the paper generator's 33.5M-weight dense
// layer made the JavaScript loop cost 0.85 s of a 5.8 s training step.
#pragma once
#include <cstddef>

struct AdamParams {
  double learningRate, beta1, beta2, epsilon, correction1, correction2;
};

// m, v updated in place; next receives the new weights.
void adamStep(const AdamParams& p, size_t n, const float* value, const float* gradient, float* m, float* v, float* next);
