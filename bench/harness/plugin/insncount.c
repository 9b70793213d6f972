/* SPDX-License-Identifier: Apache-2.0 */
/*
 * insncount: a QEMU 7.2 TCG plugin (API v1) counting executed guest instructions,
 * written for the Tin-Tin benchmark harness (bench/harness, scripts/tintin/bench/qemu.py).
 *
 * Build:  gcc -O2 -shared -fPIC -fvisibility=hidden -o insncount.so insncount.c
 * Use:    qemu-system-arm ... -plugin ./insncount.so,mark=0xADDR,out=report.txt[,pcs=pcs.txt]
 *
 * Counting: one inline 64-bit add per guest instruction (no helper call per
 * instruction). Instructions are counted when they start executing, so an
 * instruction that faults is counted; skipped IT-block members are counted.
 *
 * Regions (the 7.2 API cannot read guest registers, so the marker id is not
 * visible): an exec callback on the first instruction of the marker function
 * (mark=ADDR) records the running total at each hit. Region k is
 * hit[2k+1] - hit[2k]; nothing is subtracted (region 0 is the empty region that
 * measures the marker overhead; the caller subtracts it).
 *
 * Report (out=FILE, else through qemu_plugin_outs, i.e. -d plugin):
 *     total = N
 *     hits = H
 *     region K = N            (one line per complete pair of hits)
 *
 * Per-PC counts (pcs=FILE): one inline add per instruction into a counter per
 * instruction address, plus one callback per executed translation block that
 * records control transfers: when a block does not start at the address after
 * the last instruction of the previously executed block, that instruction is
 * counted as "taken" (branch taken, call, return, exception entry). Lines:
 *     # whole run
 *     ADDR COUNT SIZE TAKEN   (hex address, decimal numbers, sorted by address)
 *     # region K
 *     ADDR COUNT SIZE TAKEN   (counts between hit 2K and hit 2K+1)
 *
 * Deterministic: single vCPU, no timing input; output sorted by address.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = TINTIN_QEMU_PLUGIN_API_VERSION;

struct pc_counter {
    uint64_t vaddr;
    uint64_t count;
    uint64_t taken;
    uint64_t start_count;
    uint64_t start_taken;
    uint32_t size;
};

struct tb_info {
    uint64_t start;
    struct pc_counter *last;
};

static uint64_t g_total;
static uint64_t g_mark = UINT64_MAX;
static char *g_out_path;
static char *g_pcs_path;

static uint64_t *g_hits;
static size_t g_n_hits;
static size_t g_cap_hits;

/* Open-addressing map vaddr -> counter (counters never move once allocated). */
static struct pc_counter **g_table;
static size_t g_table_cap;
static struct pc_counter **g_counters;
static size_t g_n_counters;
static size_t g_cap_counters;
static struct pc_counter *g_last_insn;

/* Per-region per-PC sections, appended at every region end. */
static char *g_regions_buf;
static size_t g_regions_len;
static FILE *g_regions;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "insncount: out of memory\n");
        abort();
    }
    return q;
}

static size_t hash_addr(uint64_t a, size_t cap)
{
    return (size_t)((a * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1u);
}

static void table_grow(void)
{
    size_t cap = g_table_cap ? g_table_cap * 2u : 4096u;
    struct pc_counter **t = calloc(cap, sizeof(*t));
    if (t == NULL) {
        abort();
    }
    for (size_t i = 0; i < g_n_counters; i++) {
        size_t h = hash_addr(g_counters[i]->vaddr, cap);
        while (t[h] != NULL) {
            h = (h + 1u) & (cap - 1u);
        }
        t[h] = g_counters[i];
    }
    free(g_table);
    g_table = t;
    g_table_cap = cap;
}

static struct pc_counter *counter_for(uint64_t vaddr, uint32_t size)
{
    if ((g_n_counters + 1u) * 2u > g_table_cap) {
        table_grow();
    }
    size_t h = hash_addr(vaddr, g_table_cap);
    while (g_table[h] != NULL) {
        if (g_table[h]->vaddr == vaddr) {
            return g_table[h];
        }
        h = (h + 1u) & (g_table_cap - 1u);
    }
    struct pc_counter *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        abort();
    }
    c->vaddr = vaddr;
    c->size = size;
    g_table[h] = c;
    if (g_n_counters == g_cap_counters) {
        g_cap_counters = g_cap_counters ? g_cap_counters * 2u : 4096u;
        g_counters = xrealloc(g_counters, g_cap_counters * sizeof(*g_counters));
    }
    g_counters[g_n_counters++] = c;
    return c;
}

static int cmp_counter(const void *a, const void *b)
{
    const struct pc_counter *x = *(struct pc_counter *const *)a;
    const struct pc_counter *y = *(struct pc_counter *const *)b;
    return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static void sort_counters(void)
{
    qsort(g_counters, g_n_counters, sizeof(*g_counters), cmp_counter);
}

static void on_tb_exec(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    const struct tb_info *tb = userdata;
    struct pc_counter *prev = g_last_insn;
    if (prev != NULL && tb->start != prev->vaddr + prev->size) {
        prev->taken++;
    }
    g_last_insn = tb->last;
}

static void on_mark(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (g_n_hits == g_cap_hits) {
        g_cap_hits = g_cap_hits ? g_cap_hits * 2u : 64u;
        g_hits = xrealloc(g_hits, g_cap_hits * sizeof(*g_hits));
    }
    size_t hit = g_n_hits;
    g_hits[g_n_hits++] = g_total;
    if (g_pcs_path == NULL) {
        return;
    }
    if (hit % 2u == 0u) {
        for (size_t i = 0; i < g_n_counters; i++) {
            g_counters[i]->start_count = g_counters[i]->count;
            g_counters[i]->start_taken = g_counters[i]->taken;
        }
        return;
    }
    sort_counters();
    fprintf(g_regions, "# region %zu\n", hit / 2u);
    for (size_t i = 0; i < g_n_counters; i++) {
        const struct pc_counter *c = g_counters[i];
        uint64_t n = c->count - c->start_count;
        if (n != 0u || c->taken != c->start_taken) {
            fprintf(g_regions, "0x%08" PRIx64 " %" PRIu64 " %" PRIu32 " %" PRIu64 "\n", c->vaddr,
                    n, c->size, c->taken - c->start_taken);
        }
    }
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct pc_counter *last = NULL;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_total, 1);
        if (vaddr == g_mark) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (g_pcs_path != NULL) {
            last = counter_for(vaddr, (uint32_t)qemu_plugin_insn_size(insn));
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                       &last->count, 1);
        }
    }
    if (g_pcs_path != NULL && n > 0u) {
        /* One record per translation (a block may be retranslated; records are tiny). */
        struct tb_info *info = malloc(sizeof(*info));
        if (info == NULL) {
            abort();
        }
        info->start = qemu_plugin_tb_vaddr(tb);
        info->last = last;
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS, info);
    }
}

static void write_report(FILE *f)
{
    fprintf(f, "total = %" PRIu64 "\n", g_total);
    fprintf(f, "hits = %zu\n", g_n_hits);
    for (size_t k = 0; 2u * k + 1u < g_n_hits; k++) {
        fprintf(f, "region %zu = %" PRIu64 "\n", k, g_hits[2u * k + 1u] - g_hits[2u * k]);
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    if (g_out_path != NULL) {
        FILE *f = fopen(g_out_path, "w");
        if (f == NULL) {
            fprintf(stderr, "insncount: cannot write %s\n", g_out_path);
        } else {
            write_report(f);
            fclose(f);
        }
    } else {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f != NULL) {
            write_report(f);
            fclose(f);
            qemu_plugin_outs(buf);
            free(buf);
        }
    }
    if (g_pcs_path != NULL) {
        FILE *f = fopen(g_pcs_path, "w");
        if (f == NULL) {
            fprintf(stderr, "insncount: cannot write %s\n", g_pcs_path);
            return;
        }
        sort_counters();
        fprintf(f, "# addr count size taken\n# whole run\n");
        for (size_t i = 0; i < g_n_counters; i++) {
            const struct pc_counter *c = g_counters[i];
            if (c->count != 0u || c->taken != 0u) {
                fprintf(f, "0x%08" PRIx64 " %" PRIu64 " %" PRIu32 " %" PRIu64 "\n", c->vaddr,
                        c->count, c->size, c->taken);
            }
        }
        fflush(g_regions);
        fwrite(g_regions_buf, 1, g_regions_len, f);
        fclose(f);
    }
}

static char *dup_value(const char *v)
{
    char *s = strdup(v);
    if (s == NULL) {
        abort();
    }
    return s;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "mark=", 5) == 0) {
            char *end = NULL;
            g_mark = strtoull(a + 5, &end, 0);
            if (end == a + 5 || *end != '\0') {
                fprintf(stderr, "insncount: bad mark address '%s'\n", a + 5);
                return -1;
            }
            g_mark &= ~(uint64_t)1u; /* Thumb bit of a function symbol */
        } else if (strncmp(a, "out=", 4) == 0) {
            g_out_path = dup_value(a + 4);
        } else if (strncmp(a, "pcs=", 4) == 0) {
            g_pcs_path = dup_value(a + 4);
        } else {
            fprintf(stderr, "insncount: unknown option '%s' (mark=, out=, pcs=)\n", a);
            return -1;
        }
    }
    if (g_pcs_path != NULL) {
        g_regions = open_memstream(&g_regions_buf, &g_regions_len);
        if (g_regions == NULL) {
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
