// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Interval counting against fake map contents: a slot array in plain memory,
 * written the way bpf/counting.bpf.h writes it, and an overflow table whose
 * reads can fail or show an entry lower than before. Each case names what the
 * agent before round two reported for it (counter_deltas + per-CPU slots).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "interval_counts.h"
#include "memsight.h"

#define SLOTS	 8
#define COUNTERS 2
#define ENTRIES	 16

/* The kernel side: slots of owner + counters, and a table of cumulative entries. */
struct fake_maps {
	uint64_t slots[SLOTS][SLOT_HEADER_WORDS + COUNTERS];
	struct {
		uint64_t key, values[COUNTERS];
		bool used;
	} table[ENTRIES];
	int fail_reads; /* the next reads fail after delivering this many entries */
	int fail_after;
	unsigned int deletes;
};

static struct fake_maps maps;
static uint64_t totals[64][COUNTERS]; /* what the agent reported per cgroup id */
static uint64_t removed_ids[8];

static void *table_entry(uint64_t key, bool create)
{
	for (int i = 0; i < ENTRIES; i++)
		if (maps.table[i].used && maps.table[i].key == key)
			return maps.table[i].values;
	for (int i = 0; create && i < ENTRIES; i++)
		if (!maps.table[i].used) {
			maps.table[i].used = true;
			maps.table[i].key = key;
			memset(maps.table[i].values, 0, sizeof(maps.table[i].values));
			return maps.table[i].values;
		}
	return NULL;
}

/*
 * What counting_slot(), counting_claim() or counting_overflow() and the
 * atomic adds do for one event; the css serial number here is the cgroup id
 * plus 1000.
 */
static void bpf_count(uint32_t memcg_id, uint64_t cgroup_id, uint64_t a, uint64_t b)
{
	uint64_t *cell = NULL, serial = cgroup_id + 1000;

	if (memcg_id && memcg_id < SLOTS) {
		uint64_t *slot = maps.slots[memcg_id];

		if (slot[1] == serial) {
			cell = slot + SLOT_HEADER_WORDS;
		} else if (slot[0] == 0) {
			slot[0] = cgroup_id;
			slot[1] = serial;
			cell = slot + SLOT_HEADER_WORDS;
		}
	}
	if (!cell)
		cell = table_entry(cgroup_id, true);
	assert_non_null(cell);
	cell[0] += a;
	cell[1] += b;
}

static int read_table(void *src, count_entry_fn fn, void *ctx)
{
	int delivered = 0;

	for (int i = 0; i < ENTRIES; i++) {
		if (!maps.table[i].used)
			continue;
		if (maps.fail_reads && delivered == maps.fail_after) {
			maps.fail_reads--;
			return -EIO;
		}
		fn(ctx, maps.table[i].key, maps.table[i].values);
		delivered++;
	}
	return 0;
}

static void delete_entry(void *src, uint64_t cgroup_id)
{
	uint64_t *values = table_entry(cgroup_id, false);

	if (values)
		maps.table[(values - maps.table[0].values) / (sizeof(maps.table[0]) / 8)].used =
			false;
	maps.deletes++;
}

static bool is_removed(uint64_t cgroup_id, void *ctx)
{
	for (int i = 0; i < 8; i++)
		if (removed_ids[i] == cgroup_id)
			return true;
	return false;
}

static void add_delta(uint64_t cgroup_id, const uint64_t *delta, void *ctx)
{
	assert_true(cgroup_id < 64);
	for (int k = 0; k < COUNTERS; k++)
		totals[cgroup_id][k] += delta[k];
}

static struct interval_counts *setup_counts(void)
{
	struct count_source source = {
		.slots = &maps.slots[0][0],
		.slot_count = SLOTS,
		.counters = COUNTERS,
		.read_table = read_table,
		.delete_entry = delete_entry,
	};

	memset(&maps, 0, sizeof(maps));
	memset(totals, 0, sizeof(totals));
	memset(removed_ids, 0, sizeof(removed_ids));
	return interval_counts__new(&source);
}

static void collect(struct interval_counts *ic)
{
	assert_int_equal(interval_counts__collect(ic, is_removed, NULL, add_delta, NULL), 0);
}

/* Slots are read and reset: each interval reports what it counted, nothing twice. */
static void test_slots_drain_once(void **state)
{
	struct interval_counts *ic = setup_counts();

	bpf_count(3, 30, 100, 7);
	collect(ic);
	assert_true(totals[30][0] == 100 && totals[30][1] == 7);
	collect(ic);
	assert_true(totals[30][0] == 100 && totals[30][1] == 7);
	bpf_count(3, 30, 5, 0);
	collect(ic);
	assert_true(totals[30][0] == 105 && maps.slots[3][SLOT_HEADER_WORDS] == 0);
	interval_counts__free(ic);
}

/*
 * A table entry that reads lower than last time was recreated: no delta,
 * resync. Before: the whole value was taken as new (counts invented: here
 * 40 + 40 instead of 40 + 0 + 5).
 */
static void test_counter_that_goes_down(void **state)
{
	struct interval_counts *ic = setup_counts();

	bpf_count(0, 40, 40, 0); /* memcg id 0: a dying memcg, counted by cgroup id */
	collect(ic);
	assert_true(totals[40][0] == 40);
	((uint64_t *)table_entry(40, false))[0] = 30; /* deleted and made again meanwhile */
	collect(ic);
	assert_true(totals[40][0] == 40);
	assert_int_equal(interval_counts__stats(ic)->resyncs, 1);
	bpf_count(0, 40, 5, 0);
	collect(ic);
	assert_true(totals[40][0] == 45);
	interval_counts__free(ic);
}

/*
 * A failed read reports nothing it did not read, and the next read reports
 * both intervals. Before: run_interval ignored the failure, the counters
 * read as zero, and the next interval added every cgroup's lifetime total.
 */
static void test_failed_read(void **state)
{
	struct interval_counts *ic = setup_counts();

	bpf_count(0, 41, 10, 1);
	bpf_count(0, 42, 20, 2);
	collect(ic);
	bpf_count(0, 41, 1, 0);
	bpf_count(0, 42, 2, 0);
	maps.fail_reads = 1;
	maps.fail_after = 1; /* delivers 41, fails before 42 */
	collect(ic);
	assert_true(totals[41][0] == 11 && totals[42][0] == 20);
	assert_int_equal(interval_counts__stats(ic)->failed_reads, 1);
	maps.fail_reads = 1;
	maps.fail_after = 0; /* delivers nothing */
	bpf_count(0, 42, 3, 0);
	collect(ic);
	assert_true(totals[41][0] == 11 && totals[42][0] == 20);
	collect(ic);
	assert_true(totals[41][0] == 11 && totals[42][0] == 25 && totals[42][1] == 2);
	interval_counts__free(ic);
}

/*
 * The slot's owner is removed and its memcg id goes to a new cgroup within
 * the same interval. Every count stays with the cgroup that made it. Before:
 * freeing wrote back every CPU's copy, dropping increments made meanwhile.
 */
static void test_slot_handed_to_new_owner(void **state)
{
	struct interval_counts *ic = setup_counts();

	bpf_count(5, 50, 100, 0);
	collect(ic);
	bpf_count(5, 50, 9, 1); /* its last faults */
	removed_ids[0] = 50;	/* rmdir seen */
	bpf_count(5, 51, 7, 0); /* the new memcg with id 5: the slot is 50's */
	collect(ic);		/* drains 50's slot and retires it */
	assert_int_equal(maps.slots[5][0], MEMSIGHT_SLOT_RETIRING);
	assert_int_equal(maps.slots[5][1], 0); /* the tag is cleared: 50's events miss it */
	bpf_count(5, 50, 3, 0);	 /* a late event of 50 (in flight at the retirement) */
	bpf_count(5, 51, 11, 0); /* retiring: to the table */
	collect(ic);		 /* releases the slot */
	assert_int_equal(maps.slots[5][0], 0);
	bpf_count(5, 51, 13, 0); /* claims the free slot */
	assert_int_equal(maps.slots[5][0], 51);
	collect(ic);
	assert_true(totals[50][0] == 112 && totals[50][1] == 1);
	assert_true(totals[51][0] == 7 + 11 + 13);
	assert_int_equal(interval_counts__stats(ic)->slots_retired, 1);
	interval_counts__free(ic);
}

/* An in-flight add that lands while the slot is retiring stays with the old owner. */
static void test_late_add_during_retirement(void **state)
{
	struct interval_counts *ic = setup_counts();

	bpf_count(2, 20, 1, 0);
	removed_ids[0] = 20;
	collect(ic);
	maps.slots[2][SLOT_HEADER_WORDS] +=
		4; /* passed the tag check before the retirement, added after */
	collect(ic);
	assert_true(totals[20][0] == 5);
	interval_counts__free(ic);
}

/*
 * A cgroup that disappears: its table entry is read a last time, then
 * deleted, and forgotten; counts that arrive after (a dying memcg's late
 * uncharges) make a fresh entry that is all new.
 */
static void test_cgroup_that_disappears(void **state)
{
	struct interval_counts *ic = setup_counts();

	bpf_count(0, 60, 8, 0);
	collect(ic);
	bpf_count(0, 60, 2, 0);
	removed_ids[0] = 60;
	collect(ic);
	assert_true(totals[60][0] == 10);
	assert_null(table_entry(60, false));
	assert_int_equal(maps.deletes, 1);
	bpf_count(0, 60, 1, 0);
	collect(ic);
	assert_true(totals[60][0] == 11);
	interval_counts__free(ic);
}

/* A slot and a table entry of the same cgroup in one interval: one sum. */
static void test_slot_and_table_sum(void **state)
{
	struct interval_counts *ic = setup_counts();
	uint64_t faults = 0;

	/* Many owners over time on one slot, as in a churn: every count arrives once. */
	for (uint64_t owner = 1; owner < 40; owner++) {
		bpf_count(4, owner, owner, 0);
		faults += owner;
		removed_ids[owner % 8] = owner;
		collect(ic);
		bpf_count(4, owner + 1, 1, 0); /* the next owner while the slot retires */
		faults += 1;
		collect(ic);
	}
	collect(ic);
	uint64_t sum = 0;
	for (int id = 0; id < 64; id++)
		sum += totals[id][0];
	assert_true(sum == faults);
	interval_counts__free(ic);
}

static void test_rejects_bad_sources(void **state)
{
	struct count_source none = { .counters = 0 },
			    many = { .counters = INTERVAL_COUNTS_MAX + 1 };

	assert_null(interval_counts__new(&none));
	assert_null(interval_counts__new(&many));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_drain_once),
		cmocka_unit_test(test_counter_that_goes_down),
		cmocka_unit_test(test_failed_read),
		cmocka_unit_test(test_slot_handed_to_new_owner),
		cmocka_unit_test(test_late_add_during_retirement),
		cmocka_unit_test(test_cgroup_that_disappears),
		cmocka_unit_test(test_slot_and_table_sum),
		cmocka_unit_test(test_rejects_bad_sources),
	};

	return cmocka_run_group_tests_name("interval_counts", tests, NULL, NULL);
}
