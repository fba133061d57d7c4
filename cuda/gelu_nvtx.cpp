// NVTX ranges for the `gelu profile` command, built with the `nvtx` feature. NVTX3
// is header-only: without a profiler attached these calls return at once.
#include <nvtx3/nvToolsExt.h>

#include "gelu_abi.h"

extern "C" void gelu_nvtx_push(const char* name) { nvtxRangePushA(name); }

extern "C" void gelu_nvtx_pop(void) { nvtxRangePop(); }
