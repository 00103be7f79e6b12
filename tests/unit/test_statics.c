/*
 * core/model/statics.c: thread statics on a DAC without
 * ISOSDacInterface14 (.NET 8): a type's blocks for a thread come from that
 * thread's ThreadLocalModule of the type's module, found by the module's
 * index, and count only where the class's flags byte (by TypeDef RID - 1)
 * says its storage is allocated; a generic type's (dynamic statics) are
 * not read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "dac/dac.h"
#include "fake_dac.h"
#include "fake_target.h"
#include "model/statics.h"
#include "tests.h"

enum {
	MT = 0x7f0000001000,
	GENERIC_MT = 0x7f0000002000,
	MODULE = 0x7f0000010000,
	MODULE_INDEX = 5,
	TOKEN = 0x02000004, /* RID 4: flags byte 3 */
	THREAD_A = 0x5000,  /* its class storage allocated */
	THREAD_B = 0x6000,  /* its ThreadLocalModule exists, the class not allocated */
	THREAD_C = 0x7000,  /* no statics of the module */
	CLASS_DATA_A = 0x9000,
	CLASS_DATA_B = 0xa000,
};

struct fixture {
	struct fake_target fake;
	struct clrsos_target *target;
	struct fake_dac d;
	struct clrsos_dac *dac;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fake_target_init(&fx->fake);
	fx->target = fake_target_create(&fx->fake);
	fake_dac_init(&fx->d);
	struct fake_type *t = fake_dac_add_type(&fx->d, MT, "HeapShapes.Program", 24, 0, true, false);
	t->data.module = MODULE;
	t->data.token = TOKEN;
	t = fake_dac_add_type(&fx->d, GENERIC_MT, "Holder<int>", 24, 0, true, false);
	t->data.module = MODULE;
	t->data.token = TOKEN + 1;
	t->data.is_dynamic = 1;
	fake_dac_add_module(&fx->d, MODULE, MODULE_INDEX);
	fake_dac_add_tlm(&fx->d, THREAD_A, MODULE_INDEX, CLASS_DATA_A, 0x11000, 0x12000);
	fake_dac_add_tlm(&fx->d, THREAD_B, MODULE_INDEX, CLASS_DATA_B, 0x21000, 0x22000);
	/* Flags bytes: RID 4 is byte 3; 0x4 allocated (0x1 initialized alone is not). */
	const uint8_t flags_a[8] = {0, 0, 0, 0x5, 0x4, 0, 0, 0};
	const uint8_t flags_b[8] = {0x4, 0x4, 0x4, 0x1, 0x4, 0, 0, 0};
	fake_target_add_region(&fx->fake, CLASS_DATA_A, flags_a, sizeof(flags_a));
	fake_target_add_region(&fx->fake, CLASS_DATA_B, flags_b, sizeof(flags_b));
	struct clrsos_error *err = clrsos_dac_from_instance(fx->target, &fx->d.process, "fake", &fx->dac);
	if (err) {
		clrsos_error_destroy(err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	clrsos_dac_destroy(fx->dac);
	clrsos_target_destroy(fx->target);
	fake_target_fini(&fx->fake);
	fake_dac_fini(&fx->d);
	free(fx);
	return 0;
}

static struct clrsos_static_bases bases_of(struct fixture *fx, const struct clrsos_thread_statics_key *key,
					   uint64_t thread)
{
	struct clrsos_static_bases b = {1, 1};
	assert_null(clrsos_thread_static_bases_at(fx->dac, fx->target, key, thread, &b));
	return b;
}

static void test_thread_static_bases__from_the_threads_module_block(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_thread_statics_key key;
	assert_null(clrsos_thread_statics_locate(fx->dac, MT, &key));
	assert_true(key.by_module);
	assert_int_equal(key.module_index, MODULE_INDEX);
	assert_int_equal(key.class_index, 3);
	unsigned module_calls = fx->d.module_data_calls;
	struct clrsos_static_bases b = bases_of(fx, &key, THREAD_A);
	assert_int_equal(b.gc, 0x11000);
	assert_int_equal(b.non_gc, 0x12000);
	/* Allocated for other classes, not this one: none. */
	b = bases_of(fx, &key, THREAD_B);
	assert_int_equal(b.gc, 0);
	assert_int_equal(b.non_gc, 0);
	/* No block for the module on that thread: none, and no error. */
	b = bases_of(fx, &key, THREAD_C);
	assert_int_equal(b.gc, 0);
	assert_int_equal(b.non_gc, 0);
	/* The type was resolved once, not per thread. */
	assert_int_equal(fx->d.module_data_calls, module_calls);
	assert_int_equal(fx->d.tlm_calls, 3);
}

static void test_thread_static_bases__generic_type_not_read(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_thread_statics_key key;
	assert_null(clrsos_thread_statics_locate(fx->dac, GENERIC_MT, &key));
	assert_false(key.by_module);
	struct clrsos_static_bases b = bases_of(fx, &key, THREAD_A);
	assert_int_equal(b.gc, 0);
	assert_int_equal(b.non_gc, 0);
	assert_int_equal(fx->d.tlm_calls, 0);
}

static void test_thread_statics_locate__not_a_method_table(void **state)
{
	struct fixture *fx = *state;
	struct clrsos_thread_statics_key key;
	struct clrsos_error *err = clrsos_thread_statics_locate(fx->dac, 0x10, &key);
	assert_non_null(err);
	clrsos_error_destroy(err);
}

static void test_thread_static_bases__unreadable_flags_none(void **state)
{
	struct fixture *fx = *state;
	fake_dac_add_tlm(&fx->d, THREAD_C, MODULE_INDEX, 0xdead0000, 0x31000, 0x32000);
	struct clrsos_thread_statics_key key;
	assert_null(clrsos_thread_statics_locate(fx->dac, MT, &key));
	struct clrsos_static_bases b = bases_of(fx, &key, THREAD_C);
	assert_int_equal(b.gc, 0);
	assert_int_equal(b.non_gc, 0);
}

int run_statics_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thread_static_bases__from_the_threads_module_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_static_bases__generic_type_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_statics_locate__not_a_method_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_static_bases__unreadable_flags_none, setup, teardown),
	};
	return cmocka_run_group_tests_name("statics", tests, NULL, NULL);
}
