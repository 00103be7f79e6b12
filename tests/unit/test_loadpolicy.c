/*
 * core/dac/loadpolicy.c: which DAC file clrsos may load. Every rule the
 * policy has, accepted and refused: the directory it is looked in
 * (setclrpath, CLRSOS_RUNTIME_DIR, the runtime's own), the owner and mode
 * of the file and of every directory above it, the runtime build it must
 * match (ELF build-id, version string), missing and unreadable files.
 * Files are real ones in a private directory under /tmp; an owner other
 * than this user cannot be made without root, so owners are tested
 * through clrsos_loadpolicy_untrusted.
 */
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/error.h"
#include "dac/loadpolicy.h"
#include "fake_target.h"
#include "target/elfimage.h"
#include "tests.h"

enum { PAGE = CLRSOS_PAGE_SIZE };

static const uint8_t ID[20] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x01, 0x23,
			       0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x55, 0xaa, 0x0f, 0xf0};
static const char ID_HEX[] = "1032547698badcfe0123456789abcdef55aa0ff0";
static const char OTHER_HEX[] = "ffffffffffffffffffffffffffffffffffffffff";
static const char VERSION_A[] = "@(#)Version 8.0.1125.51716 @Commit: 4b8e7a5";
static const char VERSION_B[] = "@(#)Version 8.0.1225.60609 @Commit: 9d5a6a9";

/* ---- pure rules ---- */

static void test_choose_dir__setclrpath_wins_and_is_trusted(void **state)
{
	(void)state;
	struct clrsos_loadpolicy_dir d;
	assert_null(clrsos_loadpolicy_choose_dir("/opt/dac", "/env/dir", "/rt/libcoreclr.so", &d));
	assert_string_equal(d.dir, "/opt/dac");
	assert_string_equal(d.source, "setclrpath");
	assert_true(d.user_named);
	free(d.dir);
}

static void test_choose_dir__runtime_dir_env_replaces_the_runtimes_own(void **state)
{
	(void)state;
	struct clrsos_loadpolicy_dir d;
	assert_null(clrsos_loadpolicy_choose_dir(NULL, "/env/dir", "/rt/libcoreclr.so", &d));
	assert_string_equal(d.dir, "/env/dir");
	assert_string_equal(d.source, "the runtime-dir setting (CLRSOS_RUNTIME_DIR)");
	assert_false(d.user_named); /* checked like the runtime's own */
	free(d.dir);
	/* An empty setclrpath is none. */
	assert_null(clrsos_loadpolicy_choose_dir("", "/env/dir", "/rt/libcoreclr.so", &d));
	assert_string_equal(d.source, "the runtime-dir setting (CLRSOS_RUNTIME_DIR)");
	assert_false(d.user_named);
	free(d.dir);
}

static void test_choose_dir__the_runtimes_directory_by_default(void **state)
{
	(void)state;
	struct clrsos_loadpolicy_dir d;
	assert_null(clrsos_loadpolicy_choose_dir(
		NULL, "", "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11/libcoreclr.so", &d));
	assert_string_equal(d.dir, "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.11");
	assert_string_equal(d.source, "the runtime's directory");
	assert_false(d.user_named);
	free(d.dir);
	/* A runtime known by its name only (a core without paths): the current directory. */
	assert_null(clrsos_loadpolicy_choose_dir(NULL, NULL, "libcoreclr.so", &d));
	assert_string_equal(d.dir, ".");
	free(d.dir);
	assert_null(clrsos_loadpolicy_choose_dir(NULL, NULL, NULL, &d));
	assert_string_equal(d.dir, ".");
	free(d.dir);
}

static void test_untrusted__owner_must_be_root_or_this_user(void **state)
{
	(void)state;
	uid_t me = 1000;
	assert_null(clrsos_loadpolicy_untrusted(0, S_IFREG | 0755, false, me));
	assert_null(clrsos_loadpolicy_untrusted(me, S_IFREG | 0644, false, me));
	assert_string_equal(clrsos_loadpolicy_untrusted(1001, S_IFREG | 0644, false, me),
			    "is owned by another user");
	/* Not even a sticky ancestor of another user's. */
	assert_string_equal(clrsos_loadpolicy_untrusted(1001, S_IFDIR | 01777, true, me),
			    "is owned by another user");
	/* Root debugging: only root's files. */
	assert_string_equal(clrsos_loadpolicy_untrusted(1000, S_IFREG | 0644, false, 0),
			    "is owned by another user");
}

static void test_untrusted__writable_by_others_refused_but_sticky_ancestors(void **state)
{
	(void)state;
	uid_t me = 1000;
	assert_string_equal(clrsos_loadpolicy_untrusted(me, S_IFREG | 0664, false, me),
			    "is writable by other users");
	assert_string_equal(clrsos_loadpolicy_untrusted(me, S_IFREG | 0646, false, me),
			    "is writable by other users");
	assert_string_equal(clrsos_loadpolicy_untrusted(0, S_IFDIR | 0777, true, me),
			    "is writable by other users");
	/* /tmp: a sticky directory above the DAC's. */
	assert_null(clrsos_loadpolicy_untrusted(0, S_IFDIR | 01777, true, me));
	/* The DAC's own directory, sticky or not, must not be writable by others. */
	assert_string_equal(clrsos_loadpolicy_untrusted(me, S_IFDIR | 01777, false, me),
			    "is writable by other users");
	/* Sticky on a file is no excuse. */
	assert_string_equal(clrsos_loadpolicy_untrusted(me, S_IFREG | 01666, true, me),
			    "is writable by other users");
}

static void test_build_version__found_cut_and_absent(void **state)
{
	(void)state;
	char buf[200];
	static const char bin[] = "\x7f" "ELF junk\0@(#)Version 8.0.1125.51716 @Commit: 4b8e7a5\0tail";
	clrsos_loadpolicy_build_version(bin, sizeof(bin) - 1, buf, sizeof(buf));
	assert_string_equal(buf, VERSION_A);
	clrsos_loadpolicy_build_version(bin, 8, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* At the very end of the file, without its NUL. */
	clrsos_loadpolicy_build_version(VERSION_B, sizeof(VERSION_B) - 1, buf, sizeof(buf));
	assert_string_equal(buf, VERSION_B);
	/* At most 160 characters, and the buffer's size. */
	char big[300];
	memset(big, 'x', sizeof(big));
	memcpy(big, "@(#)Version ", 12);
	clrsos_loadpolicy_build_version(big, sizeof(big), buf, sizeof(buf));
	assert_int_equal(strlen(buf), 160);
	char small[16];
	clrsos_loadpolicy_build_version(big, sizeof(big), small, sizeof(small));
	assert_int_equal(strlen(small), 15);
}

static void assert_refused(struct clrsos_error *err, const char *message)
{
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	assert_string_equal(err->message, message);
	clrsos_error_destroy(err);
}

static void test_match__build_id_must_be_the_targets(void **state)
{
	(void)state;
	assert_null(clrsos_loadpolicy_match("/d/libcoreclr.so", "/d/libmscordaccore.so", ID, sizeof(ID),
					    ID_HEX, VERSION_A, VERSION_A));
	assert_refused(clrsos_loadpolicy_match("/d/libcoreclr.so", "/d/libmscordaccore.so", ID, sizeof(ID),
					       OTHER_HEX, VERSION_A, VERSION_A),
		       "/d/libcoreclr.so has build-id 1032547698badcfe0123456789abcdef55aa0ff0 but the target's has ffffffffffffffffffffffffffffffffffffffff (another runtime build)");
	assert_refused(clrsos_loadpolicy_match("/d/libcoreclr.so", "/d/libmscordaccore.so", ID, 0,
					       ID_HEX, "", ""),
		       "/d/libcoreclr.so has build-id (none) but the target's has 1032547698badcfe0123456789abcdef55aa0ff0 (another runtime build)");
}

static void test_match__dac_of_another_build_refused(void **state)
{
	(void)state;
	assert_refused(clrsos_loadpolicy_match("/d/libcoreclr.so", "/d/libmscordaccore.so", ID, sizeof(ID),
					       ID_HEX, VERSION_A, VERSION_B),
		       "/d/libmscordaccore.so is of another runtime build than /d/libcoreclr.so (\"Version 8.0.1225.60609 @Commit: 9d5a6a9\", the runtime \"Version 8.0.1125.51716 @Commit: 4b8e7a5\"): the directory mixes two builds; copy the DAC of the runtime's own build there");
	/* A file without a version string cannot be compared: the build-id decides. */
	assert_null(clrsos_loadpolicy_match("/d/libcoreclr.so", "/d/libmscordaccore.so", ID, sizeof(ID),
					    ID_HEX, "", VERSION_B));
	assert_null(clrsos_loadpolicy_match("/d/libcoreclr.so", "/d/libmscordaccore.so", ID, sizeof(ID),
					    ID_HEX, VERSION_A, ""));
}

/* ---- files on disk ---- */

struct tree {
	char root[64]; /* /tmp/clrsos-loadpolicy-XXXXXX, 0700 */
};

static int setup_tree(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/clrsos-loadpolicy-XXXXXX");
	if (!mkdtemp(t->root)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown_tree(void **state)
{
	struct tree *t = *state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' && rm -rf '%s'", t->root, t->root);
	int rc = system(cmd);
	free(t);
	return rc == 0 ? 0 : -1;
}

static char *path_in(const struct tree *t, const char *rel)
{
	static char bufs[4][512];
	static int next;
	char *p = bufs[next++ % 4];
	snprintf(p, 512, "%s/%s", t->root, rel);
	return p;
}

static void make_dir(const struct tree *t, const char *rel, mode_t mode)
{
	const char *p = path_in(t, rel);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void make_file(const struct tree *t, const char *rel, const void *data, size_t size, mode_t mode)
{
	const char *p = path_in(t, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static void make_text(const struct tree *t, const char *rel, const char *text, mode_t mode)
{
	make_file(t, rel, text, strlen(text) + 1, mode);
}

/* A libcoreclr.so with build-id ID and the version string version. */
static void make_runtime(const struct tree *t, const char *rel, const char *version)
{
	struct fake_elf_spec spec = {
		.size = 4 * PAGE,
		.loads = {{.offset = 0, .vaddr = 0, .filesz = 4 * PAGE, .flags = PF_R | PF_X}},
		.nloads = 1,
		.note_offset = 0x1c0,
		.build_id = ID,
		.build_id_len = sizeof(ID),
	};
	uint8_t *img = fake_elf_build(&spec);
	assert_non_null(img);
	memcpy(img + 2 * PAGE, version, strlen(version) + 1);
	make_file(t, rel, img, spec.size, 0644);
	free(img);
}

static void assert_opens(const char *path, bool check)
{
	int fd = -1;
	struct clrsos_error *err = clrsos_loadpolicy_open(path, check, &fd);
	if (err)
		fail_msg("%s refused: %s", path, err->message);
	assert_true(fd >= 0);
	close(fd);
}

static void assert_open_refused(const char *path, bool check, const char *message)
{
	int fd = -1;
	assert_refused(clrsos_loadpolicy_open(path, check, &fd), message);
	assert_int_equal(fd, -1);
}

static void test_open__own_file_in_own_directory_accepted(void **state)
{
	struct tree *t = *state;
	make_dir(t, "rt", 0755);
	make_text(t, "rt/libmscordaccore.so", "dac", 0644);
	assert_opens(path_in(t, "rt/libmscordaccore.so"), true);
}

static void test_open__missing_file_or_directory(void **state)
{
	struct tree *t = *state;
	char msg[600];
	const char *p = path_in(t, "none/libmscordaccore.so");
	snprintf(msg, sizeof(msg), "%s not found", p);
	assert_open_refused(p, true, msg);
	make_dir(t, "rt", 0755);
	p = path_in(t, "rt/libmscordaccore.so");
	snprintf(msg, sizeof(msg), "%s not found", p);
	assert_open_refused(p, false, msg);
}

static void test_open__file_writable_by_others_refused_unless_unchecked(void **state)
{
	struct tree *t = *state;
	char msg[600];
	make_dir(t, "rt", 0755);
	make_text(t, "rt/libmscordaccore.so", "dac", 0664);
	const char *p = path_in(t, "rt/libmscordaccore.so");
	snprintf(msg, sizeof(msg),
		 "refused %s: it is writable by other users (name the directory with setclrpath to trust it)", p);
	assert_open_refused(p, true, msg);
	assert_opens(p, false);
	assert_int_equal(chmod(p, 0646), 0);
	assert_open_refused(p, true, msg);
}

static void test_open__directory_writable_by_others_refused(void **state)
{
	struct tree *t = *state;
	char msg[600];
	make_dir(t, "rt", 0777);
	make_text(t, "rt/libmscordaccore.so", "dac", 0644);
	const char *p = path_in(t, "rt/libmscordaccore.so");
	snprintf(msg, sizeof(msg),
		 "refused %s: %s is writable by other users (name the directory with setclrpath to trust it)",
		 p, path_in(t, "rt"));
	assert_open_refused(p, true, msg);
	/* Sticky does not help the DAC's own directory. */
	assert_int_equal(chmod(path_in(t, "rt"), 01777), 0);
	assert_open_refused(p, true, msg);
	assert_opens(p, false);
}

static void test_open__ancestor_writable_by_others_only_if_sticky(void **state)
{
	struct tree *t = *state;
	char msg[600];
	make_dir(t, "shared", 0777);
	make_dir(t, "shared/rt", 0755);
	make_text(t, "shared/rt/libmscordaccore.so", "dac", 0644);
	const char *p = path_in(t, "shared/rt/libmscordaccore.so");
	snprintf(msg, sizeof(msg),
		 "refused %s: %s is writable by other users (name the directory with setclrpath to trust it)",
		 p, path_in(t, "shared"));
	assert_open_refused(p, true, msg);
	assert_int_equal(chmod(path_in(t, "shared"), 01777), 0);
	assert_opens(p, true);
}

static void test_open__not_a_regular_file(void **state)
{
	struct tree *t = *state;
	char msg[600];
	make_dir(t, "rt", 0755);
	make_dir(t, "rt/libmscordaccore.so", 0755);
	const char *p = path_in(t, "rt/libmscordaccore.so");
	snprintf(msg, sizeof(msg), "%s is not a regular file", p);
	assert_open_refused(p, true, msg);
	assert_open_refused(p, false, msg);
}

static void test_open__links_are_judged_where_they_lead(void **state)
{
	struct tree *t = *state;
	char msg[600];
	make_dir(t, "safe", 0755);
	make_dir(t, "open", 0777);
	make_text(t, "safe/real.so", "dac", 0644);
	make_text(t, "open/real.so", "dac", 0644);
	/* A link in a directory anyone can write, to a trusted file: the file decides. */
	assert_int_equal(symlink(path_in(t, "safe/real.so"), path_in(t, "open/libmscordaccore.so")), 0);
	assert_opens(path_in(t, "open/libmscordaccore.so"), true);
	/* A link in a trusted directory, to a file where anyone could swap it. */
	assert_int_equal(symlink(path_in(t, "open/real.so"), path_in(t, "safe/libmscordaccore.so")), 0);
	const char *p = path_in(t, "safe/libmscordaccore.so");
	snprintf(msg, sizeof(msg),
		 "refused %s: %s is writable by other users (name the directory with setclrpath to trust it)",
		 p, path_in(t, "open"));
	assert_open_refused(p, true, msg);
}

/* A runtime directory: libcoreclr.so of build ID (version clr), a DAC (version dac). */
static void make_runtime_dir(const struct tree *t, const char *clr, const char *dac, mode_t dac_mode)
{
	make_dir(t, "rt", 0755);
	make_runtime(t, "rt/libcoreclr.so", clr);
	char bytes[128];
	int n = snprintf(bytes, sizeof(bytes), "not really a DAC%c%s", 0, dac);
	make_file(t, "rt/libmscordaccore.so", bytes, (size_t)n + 1, dac_mode);
}

static void assert_check_refused(const struct tree *t, bool user_named, const char *want,
				 const char *message)
{
	int fd = -1;
	char *path = NULL;
	assert_refused(clrsos_loadpolicy_check(path_in(t, "rt"), user_named, want, &fd, &path), message);
	assert_int_equal(fd, -1);
	assert_null(path);
}

static void assert_check_accepted(const struct tree *t, bool user_named)
{
	int fd = -1;
	char *path = NULL;
	struct clrsos_error *err = clrsos_loadpolicy_check(path_in(t, "rt"), user_named, ID_HEX, &fd, &path);
	if (err)
		fail_msg("refused: %s", err->message);
	assert_true(fd >= 0);
	assert_string_equal(path, path_in(t, "rt/libmscordaccore.so"));
	/* The descriptor is the DAC checked. */
	char head[16] = "";
	assert_int_equal(pread(fd, head, 15, 0), 15);
	assert_string_equal(head, "not really a DA");
	close(fd);
	free(path);
}

static void test_check__the_runtimes_own_build_accepted(void **state)
{
	struct tree *t = *state;
	make_runtime_dir(t, VERSION_A, VERSION_A, 0644);
	assert_check_accepted(t, false);
	assert_check_accepted(t, true);
}

static void test_check__another_runtime_build_refused(void **state)
{
	struct tree *t = *state;
	char msg[800];
	make_runtime_dir(t, VERSION_A, VERSION_A, 0644);
	snprintf(msg, sizeof(msg), "%s has build-id %s but the target's has %s (another runtime build)",
		 path_in(t, "rt/libcoreclr.so"), ID_HEX, OTHER_HEX);
	/* Naming the directory trusts its owner, not another build. */
	assert_check_refused(t, false, OTHER_HEX, msg);
	assert_check_refused(t, true, OTHER_HEX, msg);
}

static void test_check__dac_of_another_build_beside_the_runtime_refused(void **state)
{
	struct tree *t = *state;
	char msg[800];
	make_runtime_dir(t, VERSION_A, VERSION_B, 0644);
	snprintf(msg, sizeof(msg),
		 "%s is of another runtime build than %s (\"%s\", the runtime \"%s\"): the directory mixes two builds; copy the DAC of the runtime's own build there",
		 path_in(t, "rt/libmscordaccore.so"), path_in(t, "rt/libcoreclr.so"), VERSION_B + 4,
		 VERSION_A + 4);
	assert_check_refused(t, true, ID_HEX, msg);
}

static void test_check__missing_files_refused(void **state)
{
	struct tree *t = *state;
	char msg[800];
	make_dir(t, "rt", 0755);
	snprintf(msg, sizeof(msg), "%s not found", path_in(t, "rt/libmscordaccore.so"));
	assert_check_refused(t, false, ID_HEX, msg);
	make_text(t, "rt/libmscordaccore.so", "dac", 0644);
	snprintf(msg, sizeof(msg), "%s not found", path_in(t, "rt/libcoreclr.so"));
	assert_check_refused(t, false, ID_HEX, msg);
	assert_check_refused(t, true, ID_HEX, msg);
}

static void test_check__runtime_that_is_no_elf_refused(void **state)
{
	struct tree *t = *state;
	make_dir(t, "rt", 0755);
	make_text(t, "rt/libmscordaccore.so", "dac", 0644);
	make_text(t, "rt/libcoreclr.so", "not an ELF file at all, long enough to be read", 0644);
	int fd = -1;
	char *path = NULL;
	struct clrsos_error *err = clrsos_loadpolicy_check(path_in(t, "rt"), false, ID_HEX, &fd, &path);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	char prefix[600];
	snprintf(prefix, sizeof(prefix), "cannot check %s (", path_in(t, "rt/libcoreclr.so"));
	assert_memory_equal(err->message, prefix, strlen(prefix));
	clrsos_error_destroy(err);
	assert_null(path);
}

static void test_check__untrusted_dac_only_from_setclrpath(void **state)
{
	struct tree *t = *state;
	char msg[800];
	make_runtime_dir(t, VERSION_A, VERSION_A, 0666);
	snprintf(msg, sizeof(msg),
		 "refused %s: it is writable by other users (name the directory with setclrpath to trust it)",
		 path_in(t, "rt/libmscordaccore.so"));
	assert_check_refused(t, false, ID_HEX, msg);
	assert_check_accepted(t, true);
}

static void test_check__runtime_file_itself_is_only_read_not_trusted(void **state)
{
	struct tree *t = *state;
	make_runtime_dir(t, VERSION_A, VERSION_A, 0644);
	/* libcoreclr.so is never loaded, only read for its build: its mode is not checked. */
	assert_int_equal(chmod(path_in(t, "rt/libcoreclr.so"), 0666), 0);
	assert_check_accepted(t, false);
}

static void test_load__checked_file_that_is_no_library_fails_to_load(void **state)
{
	struct tree *t = *state;
	make_runtime_dir(t, VERSION_A, VERSION_A, 0644);
	void *lib = NULL;
	char *path = NULL;
	struct clrsos_error *err = clrsos_loadpolicy_load(path_in(t, "rt"), false, ID_HEX, &lib, &path);
	assert_non_null(err);
	assert_int_equal(err->code, CLRSOS_ERROR_DAC);
	char prefix[600];
	snprintf(prefix, sizeof(prefix), "cannot load %s: ", path_in(t, "rt/libmscordaccore.so"));
	assert_memory_equal(err->message, prefix, strlen(prefix));
	clrsos_error_destroy(err);
	assert_null(lib);
	assert_null(path);
	/* A refusal comes before any load. */
	char msg[800];
	snprintf(msg, sizeof(msg), "%s has build-id %s but the target's has %s (another runtime build)",
		 path_in(t, "rt/libcoreclr.so"), ID_HEX, OTHER_HEX);
	assert_refused(clrsos_loadpolicy_load(path_in(t, "rt"), false, OTHER_HEX, &lib, &path), msg);
}

#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_tree, teardown_tree)

int run_loadpolicy_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choose_dir__setclrpath_wins_and_is_trusted),
		cmocka_unit_test(test_choose_dir__runtime_dir_env_replaces_the_runtimes_own),
		cmocka_unit_test(test_choose_dir__the_runtimes_directory_by_default),
		cmocka_unit_test(test_untrusted__owner_must_be_root_or_this_user),
		cmocka_unit_test(test_untrusted__writable_by_others_refused_but_sticky_ancestors),
		cmocka_unit_test(test_build_version__found_cut_and_absent),
		cmocka_unit_test(test_match__build_id_must_be_the_targets),
		cmocka_unit_test(test_match__dac_of_another_build_refused),
		TREE_TEST(test_open__own_file_in_own_directory_accepted),
		TREE_TEST(test_open__missing_file_or_directory),
		TREE_TEST(test_open__file_writable_by_others_refused_unless_unchecked),
		TREE_TEST(test_open__directory_writable_by_others_refused),
		TREE_TEST(test_open__ancestor_writable_by_others_only_if_sticky),
		TREE_TEST(test_open__not_a_regular_file),
		TREE_TEST(test_open__links_are_judged_where_they_lead),
		TREE_TEST(test_check__the_runtimes_own_build_accepted),
		TREE_TEST(test_check__another_runtime_build_refused),
		TREE_TEST(test_check__dac_of_another_build_beside_the_runtime_refused),
		TREE_TEST(test_check__missing_files_refused),
		TREE_TEST(test_check__runtime_that_is_no_elf_refused),
		TREE_TEST(test_check__untrusted_dac_only_from_setclrpath),
		TREE_TEST(test_check__runtime_file_itself_is_only_read_not_trusted),
		TREE_TEST(test_load__checked_file_that_is_no_library_fails_to_load),
	};
	return cmocka_run_group_tests_name("loadpolicy", tests, NULL, NULL);
}
