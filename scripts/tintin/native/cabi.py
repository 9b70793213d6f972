# SPDX-License-Identifier: Apache-2.0
"""The C runtime's ABI as ctypes sees it: mirrors of the public structs and the signature of
every function the binding calls.

Layouts follow lib/tintin/include/tintin/*.h for the host build (TINTIN_MAX_LAYERS 16); a
struct that changes there changes here. tintin.native.clib loads the library and declares
SIGNATURES on it.
"""

from __future__ import annotations

import ctypes as ct

P8 = ct.POINTER(ct.c_int8)
PU8 = ct.POINTER(ct.c_uint8)
P16 = ct.POINTER(ct.c_int16)
P32 = ct.POINTER(ct.c_int32)
PU32 = ct.POINTER(ct.c_uint32)


class Dims(ct.Structure):
    _fields_ = [("n", ct.c_uint16), ("h", ct.c_uint16), ("w", ct.c_uint16), ("c", ct.c_uint16)]


class Tensor(ct.Structure):
    _fields_ = [("data", P8), ("dims", Dims), ("exp", ct.c_int8)]


class LayerDesc(ct.Structure):
    _fields_ = [
        ("type", ct.c_uint8),
        ("train", ct.c_uint8),
        ("units", ct.c_uint16),
        ("kernel_h", ct.c_uint8),
        ("kernel_w", ct.c_uint8),
        ("stride", ct.c_uint8),
        ("pad", ct.c_uint8),
        ("w_exp", ct.c_int8),
        ("weights", P8),
        ("bias", P32),
    ]


class OptimCfg(ct.Structure):
    _fields_ = [
        (name, ct.c_uint8)
        for name in (
            "rule",
            "lr_shift",
            "lr_mult",
            "mu",
            "momentum_shift",
            "upscale_bits",
            "rounding",
            "upscale_scope",
        )
    ]


class ModelDesc(ct.Structure):
    _fields_ = [
        ("layers", ct.POINTER(LayerDesc)),
        ("n_layers", ct.c_uint8),
        ("loss", ct.c_uint8),
        ("max_batch", ct.c_uint16),
        ("input", Dims),
        ("optim", OptimCfg),
        ("seed", ct.c_uint32),
        ("magic", ct.c_uint32),
        ("version", ct.c_uint16),
        ("hash", ct.c_uint32),
    ]


MAX_LAYERS = 16  # TINTIN_MAX_LAYERS of the host build


class ModelBlob(ct.Structure):
    _fields_ = [("desc", ModelDesc), ("layers", LayerDesc * MAX_LAYERS)]


class Batch(ct.Structure):
    _fields_ = [
        ("x", P8),
        ("labels", PU8),
        ("targets", P8),
        ("n", ct.c_uint16),
        ("x_exp", ct.c_int8),
        ("t_exp", ct.c_int8),
    ]


class TrainSet(ct.Structure):
    """struct tintin_train_set: a data set for tintin_train_order."""

    _fields_ = [
        ("x", P8),
        ("labels", PU8),
        ("targets", P8),
        ("count", ct.c_uint32),
        ("x_exp", ct.c_int8),
        ("t_exp", ct.c_int8),
    ]


class LayerInfo(ct.Structure):
    _fields_ = [
        ("w", P8),
        ("w_lo", P8),
        ("bias", P32),
        ("w_mom", ct.c_void_p),
        ("b_mom", P32),
        ("n_w", ct.c_uint32),
        ("in_", ct.c_uint16),
        ("out", ct.c_uint16),
        ("type", ct.c_uint8),
        ("w_exp", ct.c_int8),
        ("act_exp", ct.c_int8),
        ("lr_off", ct.c_uint8),
    ]


class Stats(ct.Structure):
    _fields_ = [
        ("act_sat", ct.c_uint32),
        ("err_sat", ct.c_uint32),
        ("param_sat", ct.c_uint32),
        ("steps", ct.c_uint32),
        ("rescales", ct.c_uint32),
        ("update_clips", ct.c_uint32),
    ]


class Prng(ct.Structure):
    _fields_ = [("key", ct.c_uint32), ("counter", ct.c_uint32)]


class Param(ct.Structure):
    _fields_ = [
        ("data", ct.c_void_p),
        ("mom", ct.c_void_p),
        ("high", ct.c_void_p),
        ("dtype", ct.c_uint8),
        ("exp", ct.c_int8),
    ]


class SgdRows(ct.Structure):
    """struct tintin_sgd_rows: an update prepared by tintin_sgd_rows_init."""

    _fields_ = [
        ("dtype", ct.c_uint8),
        ("lr_mult", ct.c_uint8),
        ("mshift", ct.c_uint8),
        ("stochastic", ct.c_uint8),
        ("preset", ct.c_uint8),
        ("row", ct.c_uint16),
        ("data", ct.c_void_p),
        ("mom", ct.c_void_p),
        ("high", ct.c_void_p),
        ("key", ct.c_uint32),
        ("counter", ct.c_uint32),
        ("s", ct.c_int32),
        ("dmax", ct.c_int32),
        ("clips", ct.c_void_p),
    ]


class CGeom(ct.Structure):
    """struct tintin_geom; build one from a spec.Geom with CGeom(*dataclasses.astuple(g))."""

    _fields_ = [
        *((name, ct.c_uint16) for name in ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c")),
        *((name, ct.c_uint8) for name in ("k_h", "k_w", "stride", "pad_t", "pad_l")),
    ]


class Storage(ct.Structure):
    """struct tintin_storage (filled in by tintin_storage_file_open)."""

    _fields_ = [
        ("read", ct.c_void_p),
        ("write", ct.c_void_p),
        ("erase", ct.c_void_p),
        ("ctx", ct.c_void_p),
        ("slot_size", ct.c_uint32),
        ("write_block", ct.c_uint16),
    ]


class StorageFile(ct.Structure):
    _fields_ = [("f", ct.c_void_p)]


class CkptInfo(ct.Structure):
    _fields_ = [("seq", ct.c_uint32), ("slot", ct.c_uint8), ("valid", ct.c_uint8)]


class FedAvgPart(ct.Structure):
    """struct tintin_fedavg_part."""

    _fields_ = [
        ("w", ct.POINTER(ct.c_int8)),
        ("bias", ct.POINTER(ct.c_uint8)),
        ("samples", ct.c_uint32),
        ("w_exp", ct.c_int8),
    ]


class FleetMomentum(ct.Structure):
    """struct tintin_fleet_momentum."""

    _fields_ = [("last", ct.c_void_p), ("before", ct.c_void_p), ("beta", ct.c_uint16)]


class FleetInfo(ct.Structure):
    """struct tintin_fleet_info."""

    _fields_ = [("round", ct.c_uint32), ("samples", ct.c_uint32), ("kind", ct.c_uint8)]


# struct tintin_model_layout's magic and the offset of a buffer a layout does not have.
LAYOUT_MAGIC = 0x594C5454
LAYOUT_NONE = 0xFFFFFFFF
# The buffers in a layout's buf[], per layer and per model (enum tintin_layout_layer_buf,
# enum tintin_layout_model_buf).
LAYOUT_LAYER_BUFS = ("W_RAM", "W_LO", "W_MOM", "BIAS_RAM", "B_MOM", "ACT", "MASK")
LAYOUT_MODEL_BUFS = ("ERR0", "ERR1", "PING0", "PING1", "ACC", "RQ_BITS", "RQ_SHIFTS")


class LayoutLayer(ct.Structure):
    """struct tintin_layout_layer."""

    _fields_ = [
        ("gated", ct.c_uint8),
        ("buf", ct.c_uint32 * len(LAYOUT_LAYER_BUFS)),
        *((name, ct.c_uint16) for name in ("in", "out", "row", "rows")),
        ("recip", ct.c_int32),
        ("geom", CGeom),
    ]


class ModelLayout(ct.Structure):
    """struct tintin_model_layout."""

    _fields_ = [
        ("magic", ct.c_uint32),
        ("mode", ct.c_uint8),
        ("first_trained", ct.c_uint8),
        ("fc_ws", ct.c_uint8),
        ("n_layers", ct.c_uint8),
        ("chunk", ct.c_uint16),
        ("desc_hash", ct.c_uint32),
        ("bytes", ct.c_uint32),
        ("needs", ct.c_uint32),
        ("buf", ct.c_uint32 * len(LAYOUT_MODEL_BUFS)),
        ("layers", ct.POINTER(LayoutLayer)),
    ]


# enum tintin_plan_part, in order: what tintin_model_plan_parts splits the arena into.
PLAN_PARTS = ("params", "optim", "kept", "masks", "pair", "scratch", "rounding", "align")

# restype, argtypes of each function the binding calls.
SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "tintin_model_plan": (ct.c_int, [ct.POINTER(ModelDesc), ct.c_int, ct.POINTER(ct.c_size_t)]),
    "tintin_model_plan_dsp": (
        ct.c_int,
        [ct.POINTER(ModelDesc), ct.c_int, ct.POINTER(ct.c_size_t)],
    ),
    "tintin_model_plan_parts": (
        ct.c_int,
        [ct.POINTER(ModelDesc), ct.c_int, ct.c_int, ct.POINTER(ct.c_size_t)],
    ),
    "tintin_model_init": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(ModelDesc), ct.c_int, ct.c_void_p, ct.c_size_t],
    ),
    "tintin_model_init_dsp": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(ModelDesc), ct.c_int, ct.c_void_p, ct.c_size_t],
    ),
    "tintin_model_layout_of": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(ModelLayout), ct.POINTER(LayoutLayer)],
    ),
    "tintin_model_init_layout": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(ModelDesc), ct.POINTER(ModelLayout), ct.c_void_p, ct.c_size_t],
    ),
    "tintin_fedavg_combine": (
        ct.c_int,
        [
            ct.POINTER(FedAvgPart),
            ct.c_uint16,
            ct.POINTER(ct.c_int32),
            ct.c_uint32,
            ct.c_uint16,
            ct.c_int,
            ct.POINTER(Prng),
            ct.POINTER(ct.c_int8),
            ct.POINTER(ct.c_int32),
            ct.POINTER(ct.c_int8),
        ],
    ),
    "tintin_fedavg_layer": (
        ct.c_int,
        [
            ct.POINTER(FedAvgPart),
            ct.c_uint16,
            ct.c_uint32,
            ct.c_uint16,
            ct.POINTER(Prng),
            ct.POINTER(ct.c_int32),
            ct.POINTER(ct.c_int8),
            ct.POINTER(ct.c_int32),
            ct.POINTER(ct.c_int8),
        ],
    ),
    "tintin_fleet_bytes": (ct.c_size_t, [ct.c_void_p]),
    "tintin_average_share": (ct.c_uint32, [ct.c_uint32, ct.c_uint32, ct.c_uint8]),
    "tintin_model_average": (ct.c_int, [ct.c_void_p, ct.c_void_p, ct.c_uint32]),
    "tintin_fleet_export": (
        ct.c_int,
        [
            ct.c_void_p,
            ct.c_uint8,
            ct.c_uint32,
            ct.c_uint32,
            ct.POINTER(ct.c_uint8),
            ct.c_size_t,
            ct.POINTER(ct.c_size_t),
        ],
    ),
    "tintin_fleet_apply": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(ct.c_uint8), ct.c_size_t, ct.POINTER(FleetInfo)],
    ),
    "tintin_fleet_export_sparse": (
        ct.c_int,
        [
            ct.c_void_p,
            ct.POINTER(ct.c_uint8),
            ct.c_size_t,
            ct.c_uint32,
            ct.c_uint32,
            ct.c_uint32,
            ct.POINTER(ct.c_uint8),
            ct.c_size_t,
            ct.POINTER(ct.c_size_t),
        ],
    ),
    "tintin_fleet_apply_sparse": (
        ct.c_int,
        [
            ct.c_void_p,
            ct.POINTER(ct.c_uint8),
            ct.c_size_t,
            ct.POINTER(ct.c_uint8),
            ct.c_size_t,
            ct.POINTER(FleetInfo),
        ],
    ),
    "tintin_fleet_aggregate": (
        ct.c_int,
        [
            ct.c_void_p,
            ct.POINTER(ct.c_void_p),
            ct.POINTER(ct.c_size_t),
            ct.c_uint16,
            ct.POINTER(FleetMomentum),
            ct.POINTER(Prng),
            ct.POINTER(FedAvgPart),
            ct.POINTER(ct.c_int32),
        ],
    ),
    "tintin_model_forward": (
        ct.c_int,
        [ct.c_void_p, P8, ct.c_int8, ct.c_uint16, ct.POINTER(Tensor)],
    ),
    "tintin_model_predict": (ct.c_int, [ct.c_void_p, P8, ct.c_int8, ct.c_uint16, PU8]),
    "tintin_model_train_step": (ct.c_int, [ct.c_void_p, ct.POINTER(Batch)]),
    "tintin_model_evaluate": (ct.c_int, [ct.c_void_p, P8, ct.c_int8, PU8, ct.c_uint32, PU32]),
    "tintin_model_layer_info": (ct.c_int, [ct.c_void_p, ct.c_uint8, ct.POINTER(LayerInfo)]),
    "tintin_train_order_work": (ct.c_size_t, [ct.c_void_p]),
    "tintin_train_order": (
        ct.c_int,
        [
            ct.c_void_p,
            ct.POINTER(TrainSet),
            PU32,
            ct.c_uint32,
            ct.c_uint16,
            ct.c_void_p,
            ct.c_size_t,
            PU32,
        ],
    ),
    "tintin_host_vector_loops": (ct.c_int, []),
    "tintin_host_prng": (ct.POINTER(Prng), [ct.c_void_p]),
    "tintin_forward_order": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(TrainSet), PU32, ct.c_uint32, ct.c_void_p, ct.c_size_t, P8, P8],
    ),
    "tintin_model_get_stats": (ct.c_int, [ct.c_void_p, ct.POINTER(Stats)]),
    "tintin_model_arena_used": (ct.c_size_t, [ct.c_void_p]),
    "tintin_model_struct_size": (ct.c_size_t, []),
    "tintin_prng_seed": (None, [ct.POINTER(Prng), ct.c_uint32]),
    "tintin_prng_at": (ct.c_uint32, [ct.POINTER(Prng), ct.c_uint32]),
    "tintin_bits": (ct.c_int, [ct.c_uint32]),
    "tintin_add_sat32": (ct.c_int32, [ct.c_int32, ct.c_int32]),
    "tintin_shl_sat32": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_round_shift": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_crc32": (ct.c_uint32, [ct.c_uint32, ct.c_void_p, ct.c_size_t]),
    "tintin_model_desc_hash": (ct.c_uint32, [ct.POINTER(ModelDesc)]),
    "tintin_model_blob_parse": (ct.c_int, [ct.POINTER(ModelBlob), ct.c_void_p, ct.c_size_t]),
    "tintin_checkpoint_bytes": (ct.c_size_t, [ct.c_void_p]),
    "tintin_checkpoint_save": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(Storage), ct.POINTER(ct.c_uint32)],
    ),
    "tintin_checkpoint_restore": (
        ct.c_int,
        [ct.c_void_p, ct.POINTER(Storage), ct.POINTER(CkptInfo)],
    ),
    "tintin_storage_file_open": (
        ct.c_int,
        [ct.POINTER(Storage), ct.POINTER(StorageFile), ct.c_char_p, ct.c_uint32],
    ),
    "tintin_storage_file_close": (ct.c_int, [ct.POINTER(StorageFile)]),
    "tintin_decay_shift": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_sto_shift": (ct.c_int32, [ct.c_int32, ct.c_int, ct.c_uint32]),
    "tintin_sto_floor": (ct.c_int32, [ct.c_int32, ct.c_int, ct.c_uint32]),
    "tintin_psto_shift": (ct.c_int32, [ct.c_int32, ct.c_int]),
    "tintin_rescale_mult": (ct.c_int32, [ct.c_int32, ct.c_uint8]),
    "tintin_requantize_s8": (ct.c_int, [P32, ct.c_size_t, P8, PU32]),
    "tintin_requantize_tiled_s8": (
        ct.c_int,
        [P32, ct.c_size_t, ct.c_uint16, ct.c_uint16, ct.c_int, P8, PU8, PU8, PU32],
    ),
    "tintin_fc_forward_s8": (
        None,
        [P8, P8, P32, ct.c_int, ct.c_uint16, ct.c_uint16, ct.c_uint16, P32, P32],
    ),
    "tintin_fc_backward_s8": (None, [P8, P8, ct.c_uint16, ct.c_uint16, ct.c_uint16, P32]),
    "tintin_fc_grad_row_s8": (
        None,
        [P8, P8, ct.c_uint16, ct.c_uint16, ct.c_uint16, ct.c_uint16, P32],
    ),
    "tintin_fc_grad_bias_s8": (ct.c_int32, [P8, ct.c_uint16, ct.c_uint16, ct.c_uint16]),
    "tintin_relu_forward_s8": (None, [P8, ct.c_size_t, PU8]),
    "tintin_relu_backward_s8": (None, [P8, P8, ct.c_size_t]),
    "tintin_relu_backward_mask_s8": (None, [PU8, P8, ct.c_size_t]),
    "tintin_maxpool_idx_bits": (ct.c_int, [ct.c_void_p, PU8]),
    "tintin_maxpool_idx_bytes": (ct.c_size_t, [ct.c_void_p, ct.c_size_t]),
    "tintin_maxpool_forward_s8": (None, [P8, ct.c_uint16, ct.c_void_p, P8, PU8]),
    "tintin_maxpool_backward_s8": (None, [PU8, P8, ct.c_uint16, ct.c_void_p, P32]),
    "tintin_xent_grad_s8": (
        ct.c_int,
        [P8, ct.c_int, PU8, ct.c_uint16, ct.c_uint16, ct.POINTER(Prng), P8],
    ),
    "tintin_mse_grad_s8": (
        ct.c_int,
        [P8, ct.c_int, P8, ct.c_int, ct.c_uint32, ct.c_uint16, P32, P8, PU32],
    ),
    "tintin_sgd_aligned_row": (
        None,
        [
            ct.POINTER(OptimCfg),
            ct.POINTER(Param),
            ct.c_uint32,
            P32,
            ct.c_uint16,
            ct.c_int,
            ct.POINTER(Prng),
            PU32,
        ],
    ),
    "tintin_sgd_rows_init": (
        None,
        [
            ct.POINTER(SgdRows),
            ct.POINTER(OptimCfg),
            ct.POINTER(Param),
            ct.c_int,
            ct.POINTER(Prng),
            ct.c_uint16,
        ],
    ),
    "tintin_sgd_outer_row": (
        None,
        [ct.POINTER(SgdRows), ct.c_uint16, ct.c_int32, P8, ct.c_uint16, PU32],
    ),
    "tintin_sgd_outer_rows": (
        None,
        [ct.POINTER(SgdRows), P8, P8, ct.c_uint16, ct.c_uint16, PU32],
    ),
    "tintin_sgd_niti_row": (
        None,
        [ct.POINTER(OptimCfg), ct.POINTER(Param), ct.c_uint32, P32, ct.c_uint16, ct.c_int, PU32],
    ),
    "tintin_sgd_niti_shift": (ct.c_int, [ct.c_uint32, ct.c_int]),
}
