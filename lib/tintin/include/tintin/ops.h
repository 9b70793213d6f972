/*
 * Copyright (c) 2026 The Tin-Tin authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Layer kernels: forward, backward (error) and weight gradient, CMSIS-NN style.
 *
 * Kernels do no argument checking (the model checks shapes once at init) and never
 * allocate. Activations and errors are int8 [batch][features] row-major; accumulators
 * are int32. Requantisation to int8 is a separate step so a whole tensor shares one
 * exponent.
 *
 * @defgroup tintin_ops Kernels
 * @ingroup tintin
 * @{
 */

#ifndef TINTIN_OPS_H_
#define TINTIN_OPS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Geometry of a convolution or pooling layer over NHWC tensors (per sample). A 1-D layer is
 * the same with in_h = out_h = k_h = 1. Padding is implicit zeros: pad_t rows above and
 * pad_l columns left of the input.
 */
struct tintin_geom {
	uint16_t in_h;
	uint16_t in_w;
	uint16_t in_c;
	uint16_t out_h;
	uint16_t out_w;
	uint16_t out_c;
	uint8_t k_h;
	uint8_t k_w;
	uint8_t stride;
	uint8_t pad_t;
	uint8_t pad_l;
};

/**
 * @brief Conv forward: acc[b][oy][ox][oc] = sum over ky, kx, ic of
 * x[b][oy*s+ky-pad_t][ox*s+kx-pad_l][ic] * w[oc][ky][kx][ic] + bias[oc] rescaled as for dense.
 *
 * @param[in] w    int8 [out_c][k_h][k_w][in_c]
 * @param[out] acc int32 [batch][out_h][out_w][out_c]
 */
void tintin_conv_forward_s8(const int8_t *x, const int8_t *w, const int32_t *bias, int bias_shift,
			    uint16_t batch, const struct tintin_geom *g, int32_t *acc);

/**
 * @brief Columns ox0 to ox0 + nx - 1 of output row oy of one sample's conv forward: acc int32
 * [nx][out_c], the values tintin_conv_forward_s8 writes there.
 * @param[in] x one sample, int8 [in_h][in_w][in_c]
 */
void tintin_conv_forward_row_s8(const int8_t *x, const int8_t *w, const int32_t *bias,
				int bias_shift, const struct tintin_geom *g, uint16_t oy,
				uint16_t ox0, uint16_t nx, int32_t *acc);

/** @brief Conv error for the layer below: acc int32 [batch][in_h][in_w][in_c]. */
void tintin_conv_backward_s8(const int8_t *err, const int8_t *w, uint16_t batch,
			     const struct tintin_geom *g, int32_t *acc);

/**
 * @brief Columns ix0 to ix0 + nx - 1 of input row iy of one sample's conv error for the layer
 * below: acc int32 [nx][in_c], gathered from the outputs whose windows cover them (the same
 * sums, added in the same order).
 * @param[in] err one sample, int8 [out_h][out_w][out_c]
 */
void tintin_conv_backward_row_s8(const int8_t *err, const int8_t *w, const struct tintin_geom *g,
				 uint16_t iy, uint16_t ix0, uint16_t nx, int32_t *acc);

/** @brief Weight gradient of output channel oc: g int32 [k_h][k_w][in_c]. */
void tintin_conv_grad_row_s8(const int8_t *err, const int8_t *x, uint16_t batch,
			     const struct tintin_geom *g, uint16_t oc, int32_t *grad);

/** @brief Bias gradient of output channel oc: the sum of its errors. */
int32_t tintin_conv_grad_bias_s8(const int8_t *err, uint16_t batch, const struct tintin_geom *g,
				 uint16_t oc);

/**
 * @brief Bits per packed max-pool window index: the row in the window sits above the column,
 * each field just wide enough, the sum rounded up to 1, 2, 4 or 8 so that no index straddles
 * a byte. 0 for a 1x1 window; -1 when the window needs more than 8 bits.
 * @param[out] dx_bits width of the column field
 */
int tintin_maxpool_idx_bits(const struct tintin_geom *g, uint8_t *dx_bits);

/** @brief Bytes of packed window indices for n pooled outputs. */
size_t tintin_maxpool_idx_bytes(const struct tintin_geom *g, size_t n);

/**
 * @brief Max-pool forward (in_c == out_c): y keeps the input's exponent.
 * @param[out] idx NULL, or the position of each window's first maximum, packed as
 *                 tintin_maxpool_idx_bits() says, so backward needs no copy of x
 */
void tintin_maxpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int8_t *y, uint8_t *idx);

/**
 * @brief Max-pool backward: each window's error goes to its first maximum, read from idx.
 * @param[out] acc int32 [batch][in_h][in_w][in_c] (windows may overlap, so errors add)
 */
void tintin_maxpool_backward_s8(const uint8_t *idx, const int8_t *err, uint16_t batch,
				const struct tintin_geom *g, int32_t *acc);

/**
 * @brief Columns ix0 to ix0 + nx - 1 of input row iy of one sample's max-pool backward: acc
 * int32 [nx][in_c].
 * @param bit0 bit position of the sample's first window index in idx
 */
void tintin_maxpool_backward_row_s8(const uint8_t *idx, size_t bit0, const int8_t *err,
				    const struct tintin_geom *g, uint16_t iy, uint16_t ix0,
				    uint16_t nx, int32_t *acc);

/** @brief 1 when no input lies in two windows (stride >= kernel): see the direct backward. */
int tintin_maxpool_disjoint(const struct tintin_geom *g);

/**
 * @brief Max-pool backward over disjoint windows straight into int8: each input gets its
 * window's error or 0, which is what requantising tintin_maxpool_backward_s8's sums gives
 * (|err| <= 127, so the shift is 0).
 * @param gate NULL, or the pool's output [batch][out]: a window whose maximum is not positive
 *             passes no error (the ReLU below it, when the pool reads a ReLU's output)
 * @param[out] out int8 [batch][in_h][in_w][in_c]
 */
void tintin_maxpool_backward_direct_s8(const uint8_t *idx, const int8_t *err, uint16_t batch,
				       const struct tintin_geom *g, const int8_t *gate,
				       int8_t *out);

/**
 * @brief Average-pool forward: acc = window sum * recip, recip = round(2^24 / window size),
 * so acc sits at the input exponent - 24 (a multiply, no divide).
 */
void tintin_avgpool_forward_s8(const int8_t *x, uint16_t batch, const struct tintin_geom *g,
			       int32_t recip, int32_t *acc);

/**
 * @brief Columns ox0 to ox0 + nx - 1 of output row oy of one sample's average pool: acc int32
 * [nx][out_c].
 */
void tintin_avgpool_forward_row_s8(const int8_t *x, const struct tintin_geom *g, int32_t recip,
				   uint16_t oy, uint16_t ox0, uint16_t nx, int32_t *acc);

/** @brief Average-pool backward: every input of a window gets err * recip (exponent - 24). */
void tintin_avgpool_backward_s8(const int8_t *err, uint16_t batch, const struct tintin_geom *g,
				int32_t recip, int32_t *acc);

/**
 * @brief Columns ix0 to ix0 + nx - 1 of input row iy of one sample's average-pool backward:
 * acc int32 [nx][in_c].
 */
void tintin_avgpool_backward_row_s8(const int8_t *err, const struct tintin_geom *g, int32_t recip,
				    uint16_t iy, uint16_t ix0, uint16_t nx, int32_t *acc);

/** @brief round(2^24 / n), computed once per layer at init (the one divide). */
int32_t tintin_pool_recip(uint32_t n);

/** @brief Dot product of two int8 vectors of n elements, in int32. */
int32_t tintin_dot_s8(const int8_t *a, const int8_t *b, uint32_t n);

/**
 * @brief Four dot products sharing one input: out[r] = sum_k x[k] * w[r * stride + k] for
 * r = 0..3 (rows of a weight matrix, stride apart). The layers' fast path: each x byte is
 * loaded once for four MACs (hand-written on Armv6-M, SMLAD on Armv7E-M).
 */
void tintin_dot4_s8(const int8_t *x, const int8_t *w, uint32_t stride, uint32_t n, int32_t *out);

/** @brief y[i] += e * x[i] for n elements (int8 x, int32 y). */
void tintin_axpy_s8(int32_t e, const int8_t *x, int32_t *y, uint32_t n);

/** @brief y[i] = e * x[i] for n elements: the first term of a sum, without zeroing y first. */
void tintin_scale_s8(int32_t e, const int8_t *x, int32_t *y, uint32_t n);

/** @brief y[i] += sum_r e[r] * x[r * stride + i], r = 0..3: four axpy passes in one. */
void tintin_axpy4_s8(const int32_t *e, const int8_t *x, uint32_t stride, int32_t *y, uint32_t n);

/**
 * Int32 words of workspace tintin_fc_forward_s8 can use: 2 * in from a batch of 4 up (four
 * samples' inputs widened to int16 lanes, for the Armv7E-M kernel), else 0. The same on every
 * core, so that a model planned on a host fits its target.
 */
#define TINTIN_FC_WS_WORDS(batch, in) (((batch) >= 4u) ? 2u * (uint32_t)(in) : 0u)

/** 1 when this build's tintin_fc_forward_s8 uses its workspace (Armv7E-M, assembly on). */
#if defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1) && !defined(TINTIN_NO_ASM)
#define TINTIN_FC_USES_WS 1
#else
#define TINTIN_FC_USES_WS 0
#endif

/**
 * @brief Dense forward: acc[b][o] = sum_i x[b][i] * w[o][i] + bias[o] rescaled.
 *
 * @param[in] x      int8 [batch][in]
 * @param[in] w      int8 [out][in]
 * @param[in] bias   int32 [out] or NULL; bias[o] is added as round_shift(bias[o], bias_shift)
 *                   (a left shift with saturation when bias_shift < 0)
 * @param[out] acc   int32 [batch][out]
 * @param ws         TINTIN_FC_WS_WORDS(batch, in) int32 of 4-byte aligned workspace, not
 *                   overlapping the others, or NULL. Only the Armv7E-M kernel uses it (one
 *                   weight row against four samples, about 1 instruction per MAC instead of
 *                   1.7); the sums are the same with or without it.
 */
void tintin_fc_forward_s8(const int8_t *x, const int8_t *w, const int32_t *bias, int bias_shift,
			  uint16_t batch, uint16_t in, uint16_t out, int32_t *acc, int32_t *ws);

/**
 * @brief Dense backward error: acc[b][i] = sum_o err[b][o] * w[o][i].
 *
 * @param[in] err   int8 [batch][out]
 * @param[in] w     int8 [out][in]
 * @param[out] acc  int32 [batch][in]
 */
void tintin_fc_backward_s8(const int8_t *err, const int8_t *w, uint16_t batch, uint16_t in,
			   uint16_t out, int32_t *acc);

/**
 * @brief Inputs i0 .. i0 + n - 1 of one sample's dense backward error:
 * acc[i] = sum_o err[o] * w[o][i0 + i].
 */
void tintin_fc_backward_cols_s8(const int8_t *err, const int8_t *w, uint16_t in, uint16_t out,
				uint16_t i0, uint16_t n, int32_t *acc);

/**
 * @brief Dense weight gradient of one output row: g[i] = sum_b err[b][o] * x[b][i].
 *
 * The sum has at most TINTIN_MAX_BATCH terms of magnitude <= 127 * 128, so it cannot
 * overflow int32.
 */
void tintin_fc_grad_row_s8(const int8_t *err, const int8_t *x, uint16_t batch, uint16_t in,
			   uint16_t out, uint16_t o, int32_t *g);

/** @brief Dense bias gradient: returns sum_b err[b][o]. */
int32_t tintin_fc_grad_bias_s8(const int8_t *err, uint16_t batch, uint16_t out, uint16_t o);

/**
 * @brief ReLU forward in place.
 * @param[out] mask NULL, or one bit per element (LSB first), set where the output is positive
 */
void tintin_relu_forward_s8(int8_t *x, size_t n, uint8_t *mask);

/** @brief ReLU backward in place: err[k] = 0 where the forward output y[k] is not positive. */
void tintin_relu_backward_s8(const int8_t *y, int8_t *err, size_t n);

/** @brief ReLU backward in place from the forward pass's bit mask. */
void tintin_relu_backward_mask_s8(const uint8_t *mask, int8_t *err, size_t n);

/**
 * @brief Requantise int32 to int8 with one shift for the whole tensor.
 *
 * shift = max(0, bits(max |acc|) - 7); out = sat8(round_shift(acc, shift)). Saturation
 * can only come from rounding up to 128; such elements are counted in *sat.
 *
 * @return the shift applied (0..25).
 */
int tintin_requantize_s8(const int32_t *acc, size_t n, int8_t *out, uint32_t *sat);

/**
 * Requantisation of one tensor computed a tile at a time, exactly as tintin_requantize_s8
 * would requantise the whole of it: each tile is stored at once in the int8 output at its own
 * shift with one rounding bit per value (bits) and its shift (shifts); tintin_rq_end rounds
 * every tile to the tensor's shift. Tiles cut rows of row values into tiles of tile values
 * (the last of a row shorter) and are put in order; the last row may be partial. A first tile
 * that holds the whole tensor is requantised directly (no bits, no shifts). A tensor that
 * feeds a ReLU (relu set after tintin_rq_begin) needs no rounding bits: its negative values
 * may end at 0 instead of their rounded value, which the ReLU clears anyway (the saturation
 * count still counts them).
 */
struct tintin_rq {
	/* Bytes first: Thumb's short load forms reach byte offsets up to 31 only. */
	uint8_t top;      /**< largest tile shift so far */
	uint8_t whole;    /**< the first tile was the whole tensor */
	uint8_t relu;     /**< the tensor feeds a ReLU: no rounding bits */
	uint16_t row;
	uint16_t tile;
	int8_t *out;
	uint8_t *bits;   /**< rounding bits, one per value, LSB first */
	uint8_t *shifts; /**< one per tile */
	uint32_t *sat;   /**< saturations, counted as tintin_requantize_s8 counts them */
	size_t n;        /**< values in the tensor */
	size_t pos;      /**< values put */
	size_t tiles;    /**< tiles put */
	uint32_t neg_sat; /**< relu: saturating negatives in the tiles at shift top */
};

/**
 * @brief Start a tensor of n values at out.
 * @param bits   (n + 7) / 8 bytes, or NULL when one tile holds the whole tensor or it feeds
 *               a ReLU
 * @param shifts one byte per tile, or NULL likewise
 */
void tintin_rq_begin(struct tintin_rq *q, int8_t *out, size_t n, uint16_t row, uint16_t tile,
		     uint8_t *bits, uint8_t *shifts, uint32_t *sat);

/** @brief Store the next tile (n values of int32) at its own shift. */
void tintin_rq_put(struct tintin_rq *q, const int32_t *v, size_t n);

/** @brief Round every stored tile to the tensor's shift; returns that shift (0..25). */
int tintin_rq_end(struct tintin_rq *q);

/**
 * @brief tintin_requantize_s8 through the tiles: the same out (with relu, the same after a
 * ReLU), sat and shift, for tests of tintin_rq_* on any tiling (bits and shifts sized as
 * tintin_rq_begin says).
 */
int tintin_requantize_tiled_s8(const int32_t *acc, size_t n, uint16_t row, uint16_t tile, int relu,
			       int8_t *out, uint8_t *bits, uint8_t *shifts, uint32_t *sat);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TINTIN_OPS_H_ */
