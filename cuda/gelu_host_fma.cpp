// gelu_host.cpp compiled with the CPU's fused multiply-add (build.rs adds -mfma).
// The kernel code goes into its own namespace: its inline functions must not be
// merged by the linker with the generic compilation's same-named ones.
#define GELU_HOST_FMA
#define gelu gelu_fma
#include "gelu_host.cpp"
