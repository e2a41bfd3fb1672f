// RMSNorm forward as one CUDA kernel: one block per row, fp32 accumulation.
#include <ATen/cuda/CUDAContext.h>
#include <cuda.h>
#include <cuda_runtime.h>
#include <torch/extension.h>

template <typename scalar_t>
__global__ void rmsnorm_kernel(const scalar_t* __restrict__ x, const scalar_t* __restrict__ w,
                               scalar_t* __restrict__ y, int cols, float eps) {
  const scalar_t* xr = x + static_cast<int64_t>(blockIdx.x) * cols;
  scalar_t* yr = y + static_cast<int64_t>(blockIdx.x) * cols;
  float sum = 0.f;
  for (int i = threadIdx.x; i < cols; i += blockDim.x) {
    float v = static_cast<float>(xr[i]);
    sum += v * v;
  }
  __shared__ float partial[32];
  for (int off = 16; off > 0; off >>= 1) sum += __shfl_down_sync(0xffffffff, sum, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) partial[warp] = sum;
  __syncthreads();
  if (warp == 0) {
    sum = lane < (blockDim.x + 31) / 32 ? partial[lane] : 0.f;
    for (int off = 16; off > 0; off >>= 1) sum += __shfl_down_sync(0xffffffff, sum, off);
    if (lane == 0) partial[0] = rsqrtf(sum / cols + eps);
  }
  __syncthreads();
  const float inv = partial[0];
  for (int i = threadIdx.x; i < cols; i += blockDim.x)
    yr[i] = static_cast<scalar_t>(static_cast<float>(xr[i]) * inv * static_cast<float>(w[i]));
}

torch::Tensor rmsnorm_forward(torch::Tensor x, torch::Tensor w, double eps) {
  TORCH_CHECK(x.is_cuda() && w.is_cuda(), "rmsnorm_forward: inputs must be CUDA tensors");
  TORCH_CHECK(x.scalar_type() == w.scalar_type(), "rmsnorm_forward: x and w must share a dtype");
  auto xc = x.contiguous();
  auto wc = w.contiguous();
  const int cols = static_cast<int>(xc.size(-1));
  const int rows = static_cast<int>(xc.numel() / cols);
  auto y = torch::empty_like(xc);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, xc.scalar_type(), "rmsnorm_forward", [&] {
    rmsnorm_kernel<scalar_t><<<rows, 256, 0, at::cuda::getCurrentCUDAStream()>>>(
        xc.data_ptr<scalar_t>(), wc.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), cols, static_cast<float>(eps));
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return y;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("forward", &rmsnorm_forward, "RMSNorm forward (CUDA)"); }
