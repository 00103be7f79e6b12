/*
 * bpmd's pending breakpoints before the runtime is loaded
 * (core/model/breakpoints.c), over the fake target with a debugger that
 * records its symbol breakpoint: the request is kept, one debugger
 * breakpoint waits where the runtime starts, -md and -nofuturemodule are
 * errors, and clearing the last entry deletes that breakpoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "fake_target.h"
#include "model/breakpoints.h"
#include "target/target.h"
#include "tests.h"

struct recorder {
	struct fake_target fake; /* first: the fake's ops get this pointer */
	int sets, deletes;
	char module[64], symbol[64];
};

static struct clrsos_error *record_symbol_breakpoint(void *ctx, const char *module, const char *symbol)
{
	struct recorder *r = ctx;
	if (!symbol) {
		r->deletes++;
		return NULL;
	}
	r->sets++;
	strncpy(r->module, module, sizeof(r->module) - 1);
	strncpy(r->symbol, symbol, sizeof(r->symbol) - 1);
	return NULL;
}

struct fixture {
	struct recorder rec;
	struct clrsos_target_ops ops;
	struct clrsos_target *target;
	struct clrsos_breakpoints *bps;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fake_target_init(&f->rec.fake);
	f->rec.fake.is_live = true;
	f->ops = fake_target_ops;
	f->ops.symbol_breakpoint = record_symbol_breakpoint;
	assert_null(clrsos_target_create(&f->ops, &f->rec, &f->target));
	f->bps = clrsos_breakpoints_create();
	assert_non_null(f->bps);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	clrsos_breakpoints_destroy(f->bps);
	clrsos_target_destroy(f->target);
	free(f);
	return 0;
}

static void add(struct fixture *f, const struct clrsos_bpmd_request *r, bool ok)
{
	struct clrsos_bpmd_events events = {0};
	struct clrsos_error *err = clrsos_breakpoints_add_before_runtime(f->bps, f->target, r, &events);
	if (ok) {
		assert_null(err);
		assert_int_equal(events.count, 1);
		assert_int_equal(events.items[0].kind, CLRSOS_BPMD_PENDING);
	} else {
		assert_non_null(err);
		assert_int_equal(events.count, 0);
		clrsos_error_destroy(err);
	}
	clrsos_bpmd_events_deinit(&events);
}

static void test_waits_for_the_runtime(void **state)
{
	struct fixture *f = *state;
	struct clrsos_bpmd_request by_name = {.module_name = "App.dll", .method_name = "App.Program.Work", .il_offset = 2};
	struct clrsos_bpmd_request by_line = {.file = "Program.cs", .line = 12};
	add(f, &by_name, true);
	assert_int_equal(f->rec.sets, 1);
	assert_string_equal(f->rec.module, "libcoreclr.so");
	assert_string_equal(f->rec.symbol, "coreclr_execute_assembly");
	add(f, &by_line, true);
	add(f, &by_name, true); /* the same again: one entry */
	assert_int_equal(f->rec.sets, 1);
	size_t n = 0;
	const struct clrsos_bpmd_entry *e = clrsos_breakpoints_list(f->bps, &n);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].module_name, "App.dll");
	assert_string_equal(e[0].method_name, "App.Program.Work");
	assert_int_equal(e[0].il_offset, 2);
	assert_int_equal(e[0].module, 0);
	assert_string_equal(e[1].file, "Program.cs");
	assert_int_equal(e[1].line, 12);
}

static void test_md_and_nofuturemodule_fail(void **state)
{
	struct fixture *f = *state;
	struct clrsos_bpmd_request md = {.method_desc = 0x7f0012345678ull};
	struct clrsos_bpmd_request now_only = {.module_name = "App.dll", .method_name = "M", .no_future_module = true};
	add(f, &md, false);
	add(f, &now_only, false);
	size_t n = 1;
	clrsos_breakpoints_list(f->bps, &n);
	assert_int_equal(n, 0);
	assert_int_equal(f->rec.sets, 0);
}

static void test_clearing_the_last_entry_stops_waiting(void **state)
{
	struct fixture *f = *state;
	struct clrsos_bpmd_request a = {.module_name = "App.dll", .method_name = "A"};
	struct clrsos_bpmd_request b = {.module_name = "App.dll", .method_name = "B"};
	add(f, &a, true);
	add(f, &b, true);
	bool found = false;
	struct clrsos_bpmd_entry cleared;
	assert_null(clrsos_breakpoints_clear(f->bps, f->target, NULL, 1, &found, &cleared));
	assert_true(found);
	assert_string_equal(cleared.method_name, "B"); /* listed newest first */
	clrsos_bpmd_entry_deinit(&cleared);
	assert_int_equal(f->rec.deletes, 0);
	assert_null(clrsos_breakpoints_clear(f->bps, f->target, NULL, 1, &found, &cleared));
	clrsos_bpmd_entry_deinit(&cleared);
	assert_int_equal(f->rec.deletes, 1);
	/* A new one waits again; -clearall stops that too. */
	add(f, &a, true);
	assert_int_equal(f->rec.sets, 2);
	assert_null(clrsos_breakpoints_clear_all(f->bps, f->target, NULL));
	assert_int_equal(f->rec.deletes, 2);
}

static void test_a_debugger_that_cannot_wait(void **state)
{
	struct fixture *f = *state;
	f->ops.symbol_breakpoint = NULL;
	struct clrsos_bpmd_request a = {.module_name = "App.dll", .method_name = "A"};
	add(f, &a, false);
}

int run_bpmd_tests(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_waits_for_the_runtime),
		T(test_md_and_nofuturemodule_fail),
		T(test_clearing_the_last_entry_stops_waiting),
		T(test_a_debugger_that_cannot_wait),
	};
#undef T
	return cmocka_run_group_tests_name("bpmd", tests, NULL, NULL);
}
