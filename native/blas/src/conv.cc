#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "blas.h"

namespace {

// Keep a scratch buffer (im2col columns, tap products) near 32 MiB: a whole batch of 64×64
// paper-preset columns would need GBs.
constexpr int64_t kColumnBudget = (32 << 20) / sizeof(float);

int64_t rowsPerImage(const ConvShape& s) { return int64_t(s.outH) * s.outW; }
int64_t patchSize(const ConvShape& s) { return int64_t(s.kH) * s.kW * s.inC; }

// Images per chunk when each needs perImage floats of scratch.
int imagesPerChunk(const ConvShape& s, int64_t perImage) {
  return int(std::max<int64_t>(1, std::min<int64_t>(s.batch, kColumnBudget / std::max<int64_t>(1, perImage))));
}

// Rows = output positions, columns = (ky, kx, c): the filter's HWIO layout read as [K, outC].
void im2col(const ConvShape& s, const float* x, int first, int count, float* col) {
  const int64_t K = patchSize(s);
  for (int n = 0; n < count; n++) {
    const float* image = x + int64_t(first + n) * s.inH * s.inW * s.inC;
    for (int oy = 0; oy < s.outH; oy++) {
      for (int ox = 0; ox < s.outW; ox++) {
        float* row = col + ((int64_t(n) * s.outH + oy) * s.outW + ox) * K;
        for (int ky = 0; ky < s.kH; ky++) {
          const int iy = oy * s.strideH + ky * s.dilationH - s.padTop;
          for (int kx = 0; kx < s.kW; kx++) {
            const int ix = ox * s.strideW + kx * s.dilationW - s.padLeft;
            float* dst = row + (int64_t(ky) * s.kW + kx) * s.inC;
            if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW) {
              std::memset(dst, 0, sizeof(float) * s.inC);
            } else {
              std::memcpy(dst, image + (int64_t(iy) * s.inW + ix) * s.inC, sizeof(float) * s.inC);
            }
          }
        }
      }
    }
  }
}

// The adjoint of im2col: scatter-add column rows back into the images.
void col2im(const ConvShape& s, const float* col, int first, int count, float* dx) {
  const int64_t K = patchSize(s);
  for (int n = 0; n < count; n++) {
    float* image = dx + int64_t(first + n) * s.inH * s.inW * s.inC;
    for (int oy = 0; oy < s.outH; oy++) {
      for (int ox = 0; ox < s.outW; ox++) {
        const float* row = col + ((int64_t(n) * s.outH + oy) * s.outW + ox) * K;
        for (int ky = 0; ky < s.kH; ky++) {
          const int iy = oy * s.strideH + ky * s.dilationH - s.padTop;
          if (iy < 0 || iy >= s.inH) continue;
          for (int kx = 0; kx < s.kW; kx++) {
            const int ix = ox * s.strideW + kx * s.dilationW - s.padLeft;
            if (ix < 0 || ix >= s.inW) continue;
            const float* src = row + (int64_t(ky) * s.kW + kx) * s.inC;
            float* dst = image + (int64_t(iy) * s.inW + ix) * s.inC;
            for (int c = 0; c < s.inC; c++) dst[c] += src[c];
          }
        }
      }
    }
  }
}

// Runs fn(first, count, buffer) over chunks of images, reusing one scratch buffer of perImage floats an image.
template <typename Fn>
void forEachChunk(const ConvShape& s, int64_t perImage, Fn fn) {
  const int chunk = imagesPerChunk(s, perImage);
  std::vector<float> buffer(size_t(chunk * perImage));
  for (int first = 0; first < s.batch; first += chunk) fn(first, std::min(chunk, s.batch - first), buffer.data());
}

// Taps first: when a conv has far fewer output channels than input channels (G's last layer: 64
// in, 3 out), a row per input position with every tap's products, [inH·inW, kH·kW·outC], is far
// smaller than im2col's row per output position with every tap's inputs, [outH·outW, kH·kW·inC].
int64_t taps(const ConvShape& s) { return int64_t(s.kH) * s.kW; }
int64_t tapRowsPerImage(const ConvShape& s) { return int64_t(s.inH) * s.inW; }
// Only when it is much smaller: at half the size (128 in, 64 out) im2col's one large GEMM still wins here.
bool tapsFirst(const ConvShape& s) { return tapRowsPerImage(s) * s.outC * 4 <= rowsPerImage(s) * s.inC; }

// The input position a tap of an output position reads, or false when it is padding.
inline bool tapSource(const ConvShape& s, int oy, int ox, int ky, int kx, int* iy, int* ix) {
  *iy = oy * s.strideH + ky * s.dilationH - s.padTop;
  *ix = ox * s.strideW + kx * s.dilationW - s.padLeft;
  return *iy >= 0 && *iy < s.inH && *ix >= 0 && *ix < s.inW;
}

// y = Σ over taps of (x · the tap's filter) read at the tap's input position.
void conv2dForwardTapsFirst(const ConvShape& s, const float* x, const float* filter, float* y) {
  const int64_t T = taps(s), width = T * s.outC;
  // filter [kH, kW, inC, outC] as [inC, (tap, outC)]
  std::vector<float> byInput(size_t(s.inC * width));
  for (int64_t t = 0; t < T; t++)
    for (int c = 0; c < s.inC; c++)
      std::memcpy(&byInput[c * width + t * s.outC], filter + (t * s.inC + c) * s.outC, sizeof(float) * s.outC);
  forEachChunk(s, tapRowsPerImage(s) * width, [&](int first, int count, float* products) {
    const int rows = int(count * tapRowsPerImage(s));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, int(width), s.inC, 1.0f,
                x + int64_t(first) * tapRowsPerImage(s) * s.inC, s.inC, byInput.data(), int(width), 0.0f, products, int(width));
    for (int n = 0; n < count; n++) {
      const float* image = products + n * tapRowsPerImage(s) * width;
      float* out = y + int64_t(first + n) * rowsPerImage(s) * s.outC;
      for (int oy = 0; oy < s.outH; oy++)
        for (int ox = 0; ox < s.outW; ox++) {
          float* dst = out + (int64_t(oy) * s.outW + ox) * s.outC;
          std::fill(dst, dst + s.outC, 0.0f);
          for (int ky = 0; ky < s.kH; ky++)
            for (int kx = 0; kx < s.kW; kx++) {
              int iy, ix;
              if (!tapSource(s, oy, ox, ky, kx, &iy, &ix)) continue;
              const float* src = image + (int64_t(iy) * s.inW + ix) * width + (int64_t(ky) * s.kW + kx) * s.outC;
              for (int c = 0; c < s.outC; c++) dst[c] += src[c];
            }
        }
    }
  });
}

// dx = dycol · filterᵀ, where dycol holds, per input position, the dy of every output its taps feed.
void conv2dBackpropInputTapsFirst(const ConvShape& s, const float* dy, const float* filter, float* dx) {
  const int64_t T = taps(s), width = T * s.outC;
  // filter [kH, kW, inC, outC] as [(tap, outC), inC]
  std::vector<float> byTap(size_t(width * s.inC));
  for (int64_t t = 0; t < T; t++)
    for (int c = 0; c < s.inC; c++)
      for (int o = 0; o < s.outC; o++) byTap[(t * s.outC + o) * s.inC + c] = filter[(t * s.inC + c) * s.outC + o];
  forEachChunk(s, tapRowsPerImage(s) * width, [&](int first, int count, float* dycol) {
    std::memset(dycol, 0, sizeof(float) * size_t(count * tapRowsPerImage(s) * width));
    for (int n = 0; n < count; n++) {
      const float* grad = dy + int64_t(first + n) * rowsPerImage(s) * s.outC;
      float* image = dycol + n * tapRowsPerImage(s) * width;
      for (int oy = 0; oy < s.outH; oy++)
        for (int ox = 0; ox < s.outW; ox++)
          for (int ky = 0; ky < s.kH; ky++)
            for (int kx = 0; kx < s.kW; kx++) {
              int iy, ix;
              if (!tapSource(s, oy, ox, ky, kx, &iy, &ix)) continue;
              std::memcpy(image + (int64_t(iy) * s.inW + ix) * width + (int64_t(ky) * s.kW + kx) * s.outC,
                          grad + (int64_t(oy) * s.outW + ox) * s.outC, sizeof(float) * s.outC);
            }
    }
    const int rows = int(count * tapRowsPerImage(s));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, s.inC, int(width), 1.0f, dycol, int(width), byTap.data(),
                s.inC, 0.0f, dx + int64_t(first) * tapRowsPerImage(s) * s.inC, s.inC);
  });
}

}  // namespace

void conv2dForward(const ConvShape& s, const float* x, const float* filter, float* y) {
  if (tapsFirst(s)) return conv2dForwardTapsFirst(s, x, filter, y);
  const int K = int(patchSize(s));
  forEachChunk(s, rowsPerImage(s) * K, [&](int first, int count, float* col) {
    const int rows = int(count * rowsPerImage(s));
    im2col(s, x, first, count, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, s.outC, K, 1.0f, col, K, filter, s.outC, 0.0f,
                y + int64_t(first) * rowsPerImage(s) * s.outC, s.outC);
  });
}

void conv2dBackpropInput(const ConvShape& s, const float* dy, const float* filter, float* dx) {
  if (tapsFirst(s)) return conv2dBackpropInputTapsFirst(s, dy, filter, dx);
  const int K = int(patchSize(s));
  std::memset(dx, 0, sizeof(float) * size_t(s.batch) * s.inH * s.inW * s.inC);
  forEachChunk(s, rowsPerImage(s) * K, [&](int first, int count, float* col) {
    const int rows = int(count * rowsPerImage(s));
    // dcol[rows, K] = dy[rows, outC] · filterᵀ[outC, K]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, K, s.outC, 1.0f,
                dy + int64_t(first) * rowsPerImage(s) * s.outC, s.outC, filter, s.outC, 0.0f, col, K);
    col2im(s, col, first, count, dx);
  });
}

void conv2dBackpropFilter(const ConvShape& s, const float* x, const float* dy, float* dfilter) {
  const int K = int(patchSize(s));
  forEachChunk(s, rowsPerImage(s) * K, [&](int first, int count, float* col) {
    const int rows = int(count * rowsPerImage(s));
    im2col(s, x, first, count, col);
    // dfilter[K, outC] (+)= colᵀ[K, rows] · dy[rows, outC]
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, s.outC, rows, 1.0f, col, K,
                dy + int64_t(first) * rowsPerImage(s) * s.outC, s.outC, first == 0 ? 0.0f : 1.0f, dfilter, s.outC);
  });
}

void batchMatMul(int batch, int m, int n, int k, bool transposeA, bool transposeB, const float* a, int64_t strideA,
                 const float* b, int64_t strideB, float* c) {
  for (int i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, m, n, k,
                1.0f, a + i * strideA, transposeA ? m : k, b + i * strideB, transposeB ? k : n, 0.0f,
                c + int64_t(i) * m * n, n);
  }
}
