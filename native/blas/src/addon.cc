// N-API surface of the kernels: Float32Arrays in (no copies), a new Float32Array out.
#include <napi.h>
#include <pthread.h>

#include <mutex>
#include <shared_mutex>
#include <string>

#include "adam.h"
#include "blas.h"
#include "conv.h"

#ifndef AGE_BLAS_ACCELERATE
extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
char* openblas_get_config(void);
}
#endif

namespace {

// OpenBLAS shuts its thread pool down in a fork handler. A fork (any child process the studio
// starts: the PyTorch trainer, its probe) while another thread is inside a threaded sgemm leaves
// that sgemm waiting for threads that are gone, for ever. So every BLAS call holds this lock
// shared, and our own fork handler, which runs before OpenBLAS's, waits for them to finish.
std::shared_mutex forkGuard;
std::once_flag forkHandlers;

void registerForkHandlers() {
  std::call_once(forkHandlers, [] {
    pthread_atfork([] { forkGuard.lock(); }, [] { forkGuard.unlock(); }, [] { forkGuard.unlock(); });
  });
}

Napi::Value fail(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, "age_blas: " + message).ThrowAsJavaScriptException();
  return env.Null();
}

int field(const Napi::Object& o, const char* name) { return o.Get(name).As<Napi::Number>().Int32Value(); }

bool readShape(const Napi::Object& o, ConvShape& s) {
  s = {field(o, "batch"),   field(o, "inH"),      field(o, "inW"),       field(o, "inC"),    field(o, "kH"),
       field(o, "kW"),      field(o, "outC"),     field(o, "outH"),      field(o, "outW"),   field(o, "strideH"),
       field(o, "strideW"), field(o, "dilationH"), field(o, "dilationW"), field(o, "padTop"), field(o, "padLeft")};
  return s.batch > 0 && s.inH > 0 && s.inW > 0 && s.inC > 0 && s.kH > 0 && s.kW > 0 && s.outC > 0 && s.outH > 0 &&
         s.outW > 0 && s.strideH > 0 && s.strideW > 0 && s.dilationH > 0 && s.dilationW > 0;
}

size_t xSize(const ConvShape& s) { return size_t(s.batch) * s.inH * s.inW * s.inC; }
size_t ySize(const ConvShape& s) { return size_t(s.batch) * s.outH * s.outW * s.outC; }
size_t filterSize(const ConvShape& s) { return size_t(s.kH) * s.kW * s.inC * s.outC; }

// (a: Float32Array, b: Float32Array, shape) -> Float32Array, checking both sizes first.
template <typename Run>
Napi::Value convCall(const Napi::CallbackInfo& info, size_t (*sizeA)(const ConvShape&),
                     size_t (*sizeB)(const ConvShape&), size_t (*sizeOut)(const ConvShape&), Run run) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsObject()) {
    return fail(env, "expected (Float32Array, Float32Array, shape)");
  }
  auto a = info[0].As<Napi::Float32Array>();
  auto b = info[1].As<Napi::Float32Array>();
  ConvShape s;
  if (!readShape(info[2].As<Napi::Object>(), s)) return fail(env, "invalid convolution shape");
  if (a.ElementLength() != sizeA(s) || b.ElementLength() != sizeB(s)) return fail(env, "input sizes do not match the shape");
  auto out = Napi::Float32Array::New(env, sizeOut(s));
  {
    std::shared_lock<std::shared_mutex> blas(forkGuard);
    run(s, a.Data(), b.Data(), out.Data());
  }
  return out;
}

Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  return convCall(info, xSize, filterSize, ySize, conv2dForward);
}
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  return convCall(info, ySize, filterSize, xSize, conv2dBackpropInput);
}
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  return convCall(info, xSize, ySize, filterSize, conv2dBackpropFilter);
}

// (a, b, {batch, m, n, k, transposeA, transposeB, batchA, batchB}) -> Float32Array [batch, m, n]
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsObject()) {
    return fail(env, "expected (Float32Array, Float32Array, shape)");
  }
  auto a = info[0].As<Napi::Float32Array>();
  auto b = info[1].As<Napi::Float32Array>();
  auto o = info[2].As<Napi::Object>();
  const int batch = field(o, "batch"), m = field(o, "m"), n = field(o, "n"), k = field(o, "k");
  const int batchA = field(o, "batchA"), batchB = field(o, "batchB");
  if (batch <= 0 || m <= 0 || n <= 0 || k <= 0 || (batchA != 1 && batchA != batch) || (batchB != 1 && batchB != batch)) {
    return fail(env, "invalid matmul shape");
  }
  const int64_t strideA = batchA == 1 ? 0 : int64_t(m) * k, strideB = batchB == 1 ? 0 : int64_t(k) * n;
  if (a.ElementLength() != size_t(batchA) * m * k || b.ElementLength() != size_t(batchB) * k * n) {
    return fail(env, "input sizes do not match the shape");
  }
  auto out = Napi::Float32Array::New(env, size_t(batch) * m * n);
  const bool transposeA = o.Get("transposeA").ToBoolean(), transposeB = o.Get("transposeB").ToBoolean();
  {
    std::shared_lock<std::shared_mutex> blas(forkGuard);
    batchMatMul(batch, m, n, k, transposeA, transposeB, a.Data(), strideA, b.Data(), strideB, out.Data());
  }
  return out;
}

double number(const Napi::Object& o, const char* name) { return o.Get(name).As<Napi::Number>().DoubleValue(); }

// (value, gradient, m, v, {learningRate, beta1, beta2, epsilon, correction1, correction2}[, out]) -> next;
// m and v are updated in place; the new weights go to out when given (value itself for an update
// in place), else to a new array.
Napi::Value Adam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if ((info.Length() != 5 && info.Length() != 6) || !info[4].IsObject()) return fail(env, "expected (value, gradient, m, v, params[, out])");
  for (int i = 0; i < 4; i++) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      return fail(env, "adam takes Float32Arrays");
    }
  }
  auto value = info[0].As<Napi::Float32Array>(), gradient = info[1].As<Napi::Float32Array>();
  auto m = info[2].As<Napi::Float32Array>(), v = info[3].As<Napi::Float32Array>();
  const size_t n = value.ElementLength();
  if (gradient.ElementLength() != n || m.ElementLength() != n || v.ElementLength() != n) return fail(env, "adam sizes differ");
  auto o = info[4].As<Napi::Object>();
  const AdamParams p = {number(o, "learningRate"), number(o, "beta1"), number(o, "beta2"), number(o, "epsilon"),
                        number(o, "correction1"), number(o, "correction2")};
  const bool given = info.Length() == 6 && info[5].IsTypedArray() && info[5].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  if (info.Length() == 6 && (!given || info[5].As<Napi::Float32Array>().ElementLength() != n)) return fail(env, "adam out must be a Float32Array of the same size");
  auto next = given ? info[5].As<Napi::Float32Array>() : Napi::Float32Array::New(env, n);
  adamStep(p, n, value.Data(), gradient.Data(), m.Data(), v.Data(), next.Data());
  return next;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto result = Napi::Object::New(env);
#ifdef AGE_BLAS_ACCELERATE
  result.Set("library", "Accelerate");
  result.Set("threads", 0);
#else
  result.Set("library", std::string("OpenBLAS ") + openblas_get_config());
  result.Set("threads", openblas_get_num_threads());
#endif
  return result;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
#ifndef AGE_BLAS_ACCELERATE
  if (info.Length() == 1 && info[0].IsNumber()) openblas_set_num_threads(info[0].As<Napi::Number>().Int32Value());
#endif
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  registerForkHandlers();
  exports.Set("conv2d", Napi::Function::New(env, Conv2D));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter));
  exports.Set("matMul", Napi::Function::New(env, MatMul));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(age_blas, Init)
