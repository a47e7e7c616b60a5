// Convolution and matrix kernels for tfjs's CPU backend, all NHWC / HWIO like tfjs.
// Convolutions are im2col + one sgemm per chunk of images, so the system BLAS does the work (taps
// first when there are far fewer output channels than input channels: see conv.cc).
#pragma once
#include <cstdint>

struct ConvShape {
  int batch, inH, inW, inC;     // x: [batch, inH, inW, inC]
  int kH, kW, outC;             // filter: [kH, kW, inC, outC]
  int outH, outW;               // y: [batch, outH, outW, outC]
  int strideH, strideW, dilationH, dilationW, padTop, padLeft;
};

void conv2dForward(const ConvShape& s, const float* x, const float* filter, float* y);
void conv2dBackpropInput(const ConvShape& s, const float* dy, const float* filter, float* dx);
void conv2dBackpropFilter(const ConvShape& s, const float* x, const float* dy, float* dfilter);

// C[b] = op(A[b]) * op(B[b]) for b in batch, row-major; A or B may be broadcast (batch stride 0).
void batchMatMul(int batch, int m, int n, int k, bool transposeA, bool transposeB, const float* a, int64_t strideA,
                 const float* b, int64_t strideB, float* c);
