/* A host without lldb: loads libclrsos.so the way lldb loads a plugin and
 * calls its lldb::PluginInitialize, in a process where no liblldb is loaded,
 * as an lldb lacking the SB API's functions would. The plugin must refuse to
 * load, saying what is missing, without calling any of them.
 *
 * usage: sbhost <libclrsos.so>; prints "PluginInitialize returned <bool>". */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sbhost <plugin>\n");
		return 2;
	}
	void *plugin = dlopen(argv[1], RTLD_LAZY | RTLD_GLOBAL);
	if (!plugin) {
		fprintf(stderr, "sbhost: %s\n", dlerror());
		return 2;
	}
	/* bool lldb::PluginInitialize(lldb::SBDebugger) */
	bool (*initialize)(void *) =
		(bool (*)(void *))dlsym(plugin, "_ZN4lldb16PluginInitializeENS_10SBDebuggerE");
	if (!initialize) {
		fprintf(stderr, "sbhost: no lldb::PluginInitialize in %s\n", argv[1]);
		return 2;
	}
	/* An SBDebugger goes by value, i.e. by address (Itanium C++ ABI: it has a
	 * non-trivial destructor). The plugin must not touch it here. */
	_Alignas(16) unsigned char debugger[64] = {0};
	bool loaded = initialize(debugger);
	printf("PluginInitialize returned %s\n", loaded ? "true" : "false");
	fflush(stdout);
	return 0;
}
