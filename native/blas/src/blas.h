// One include for the system BLAS: OpenBLAS on Linux/Windows, Accelerate on macOS.
#pragma once
#ifdef AGE_BLAS_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif
