/*
 * core/dac/: the calls whose failure callers may drop (a module's file,
 * the method at an address, a thin lock's owner) fail with an error, never
 * a bare NULL or 0; and a DAC crash is reported at the end of the command
 * (clrsos_dac_take_crash) unless the error the user sees says so: once,
 * whether the calls' callers dropped their errors or not.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "dac/dac.h"
#include "dac/dac_internal.h" /* white-box: to free the data target of a DAC abandoned after a crash */
#include "dac/dacguard.h"
#include "fake_dac.h"
#include "fake_target.h"
#include "tests.h"

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
	if (clrsos_dac_crashed(fx->dac))
		clrsos_data_target_release(fx->dac->data_target); /* abandoned with the DAC */
	clrsos_dac_destroy(fx->dac);
	clrsos_target_destroy(fx->target);
	fake_target_fini(&fx->fake);
	fake_dac_fini(&fx->d);
	free(fx);
	return 0;
}

static void assert_dac_error(struct clrsos_error *err, const char *has)
{
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	if (!strstr(err->message, has))
		fail_msg("\"%s\" does not say \"%s\"", err->message, has);
	clrsos_error_destroy(err);
}

static void test_droppable_calls__fail_with_an_error(void **state)
{
	struct fixture *fx = *state;
	/* The fake DAC answers none of these (E_NOTIMPL). */
	char *file = (char *)1;
	assert_dac_error(clrsos_dac_module_file(fx->dac, 0x1000, &file), "GetPEFileName");
	assert_null(file);
	uint64_t md = 1;
	assert_dac_error(clrsos_dac_method_desc_from_ip(fx->dac, 0x7f0012345678, &md),
			 "the method at 0x7f0012345678");
	assert_int_equal(md, 0);
	uint64_t base = 1;
	assert_dac_error(clrsos_dac_pe_file_base(fx->dac, 0x1000, &base), "GetPEFileBase");
	assert_int_equal(base, 0);
	struct clrsos_dacp_module_data data;
	assert_dac_error(clrsos_dac_module_data(fx->dac, 0x1000, &data), "GetModuleData");
	uint64_t owner = 1;
	assert_dac_error(clrsos_dac_thread_from_thinlock(fx->dac, 3, &owner), "GetThreadFromThinlockID");
	assert_int_equal(owner, 0);
	/* None of them is out of memory: all dropped. */
	assert_null(clrsos_error_ignore(clrsos_dac_method_desc_from_ip(fx->dac, 0x10, &md)));
	/* No crash to report. */
	assert_null(clrsos_dac_take_crash(fx->dac, NULL));
}

static clrsos_hresult faulting_call(void *self, uint64_t ip, uint64_t *ret)
{
	(void)self, (void)ip, (void)ret;
	raise(SIGABRT); /* as a DAC that asserts */
	return CLRSOS_S_OK;
}

/* The DAC crashes in a call whose error its caller drops. */
static void crash_the_dac(struct fixture *fx)
{
	clrsos_guard_arm();
	fx->d.vtbls[FAKE_SOS][CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_IP] = (void *)faulting_call;
	uint64_t md;
	clrsos_error_destroy(clrsos_dac_method_desc_from_ip(fx->dac, 0x10, &md));
	assert_true(clrsos_dac_crashed(fx->dac));
}

static void test_droppable_call_that_crashes__crash_still_reported_at_the_end(void **state)
{
	struct fixture *fx = *state;
	clrsos_guard_arm();
	fx->d.vtbls[FAKE_SOS][CLRSOS_SLOT_SOS_GET_METHOD_DESC_PTR_FROM_IP] = (void *)faulting_call;
	uint64_t md = 1;
	assert_dac_error(clrsos_dac_method_desc_from_ip(fx->dac, 0x7f0012345678, &md),
			 "the runtime's DAC crashed answering the method at 0x7f0012345678");
	assert_int_equal(md, 0);
	assert_true(clrsos_dac_crashed(fx->dac));
	/* Dropped by its caller: the command's end says it. */
	struct clrsos_error *err = clrsos_dac_take_crash(fx->dac, NULL);
	assert_dac_error(err, "this command's answer is incomplete: the runtime's DAC crashed answering GetMethodDescPtrFromIp");
	assert_null(clrsos_dac_take_crash(fx->dac, NULL));
}

static void test_reporting_call_whose_error_is_dropped__crash_still_said(void **state)
{
	struct fixture *fx = *state;
	crash_the_dac(fx);
	/* A call that reports its failure names the crash, but its caller drops
	 * the error (as the type loader takes a failure for "not a type")... */
	struct clrsos_dacp_object_data od;
	assert_null(clrsos_error_ignore(clrsos_dac_object_data(fx->dac, 0x1000, &od)));
	/* ...and the command then fails for another reason: the end says both. */
	struct clrsos_error *other = clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT, "0x1000 is not an object");
	struct clrsos_error *err = clrsos_dac_take_crash(fx->dac, other);
	assert_true(err && err->dac_crash);
	assert_dac_error(err, "this command failed (0x1000 is not an object) and its answer may be wrong: "
			      "the runtime's DAC crashed answering GetMethodDescPtrFromIp");
	clrsos_error_destroy(other);
	assert_null(clrsos_dac_take_crash(fx->dac, NULL));
}

static void test_reported_crash__not_said_twice(void **state)
{
	struct fixture *fx = *state;
	crash_the_dac(fx);
	/* A call that reports its failure names the crash... */
	struct clrsos_dacp_object_data od;
	struct clrsos_error *shown = clrsos_dac_object_data(fx->dac, 0x1000, &od);
	assert_true(shown && shown->dac_crash);
	/* ...the command's error wraps it, and the command's end does not repeat it. */
	shown = clrsos_error_wrap(shown, "dumpobj 0x1000");
	assert_null(clrsos_dac_take_crash(fx->dac, shown));
	assert_dac_error(shown, "dumpobj 0x1000: the runtime's DAC crashed answering GetObjectData (in GetMethodDescPtrFromIp)");
}

/* A DAC whose GetPEFileName takes a PEAssembly, as .NET 8's does: it
 * names 0x2000, reads Module 0x1000 given instead as a PEAssembly (here: a
 * wrong name) and names nothing else; its module data for 0x1000 gives
 * pe_assembly (0x2000, or 0x1000: the cDAC's Module itself). */
static uint64_t module_data_pe_assembly;

static clrsos_hresult module_data_of(void *self, uint64_t module, struct clrsos_dacp_module_data *ret)
{
	(void)self;
	if (module != 0x1000)
		return CLRSOS_E_INVALIDARG;
	memset(ret, 0, sizeof(*ret));
	ret->address = module;
	ret->pe_assembly = module_data_pe_assembly;
	return CLRSOS_S_OK;
}

static clrsos_hresult pe_file_name_of(void *self, uint64_t pe, uint32_t count, uint16_t *buf, uint32_t *needed)
{
	(void)self;
	const char *name = "/app/A.dll";
	if (pe == 0x1000 && module_data_pe_assembly != 0x1000)
		name = "/a/Module/read/as/a/PEAssembly";
	else if (pe != 0x2000 && pe != 0x1000) {
		if (count)
			buf[0] = 0;
		*needed = 1;
		return CLRSOS_S_OK;
	}
	uint32_t n = (uint32_t)strlen(name) + 1;
	for (uint32_t i = 0; i < n && i < count; i++)
		buf[i] = (uint16_t)name[i];
	*needed = n;
	return CLRSOS_S_OK;
}

static void test_module_file__named_by_its_pe_assembly(void **state)
{
	struct fixture *fx = *state;
	fx->d.vtbls[FAKE_SOS][CLRSOS_SLOT_SOS_GET_MODULE_DATA] = (void *)module_data_of;
	fx->d.vtbls[FAKE_SOS][CLRSOS_SLOT_SOS_GET_PE_FILE_NAME] = (void *)pe_file_name_of;
	char *file = NULL;
	/* .NET 8 and 9: the module data's PEAssembly has the name, the Module none. */
	module_data_pe_assembly = 0x2000;
	assert_null(clrsos_dac_module_file(fx->dac, 0x1000, &file));
	assert_string_equal(file, "/app/A.dll");
	free(file);
	/* The cDAC: the PEAssembly is the Module. */
	module_data_pe_assembly = 0x1000;
	assert_null(clrsos_dac_module_file(fx->dac, 0x1000, &file));
	assert_string_equal(file, "/app/A.dll");
	free(file);
	/* No module data: the Module's own address, which names nothing here. */
	file = (char *)1;
	assert_dac_error(clrsos_dac_module_file(fx->dac, 0x3000, &file), "names no file");
	assert_null(file);
}

int run_dac_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_droppable_calls__fail_with_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_droppable_call_that_crashes__crash_still_reported_at_the_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reported_crash__not_said_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reporting_call_whose_error_is_dropped__crash_still_said, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_module_file__named_by_its_pe_assembly, setup, teardown),
	};
	return cmocka_run_group_tests_name("dac", tests, NULL, NULL);
}
