// The target (core/target.h) over lldb's SB API: memory through SBProcess,
// modules through SBTarget, threads and registers through SBThread.
#ifndef CLRSOS_PLUGIN_LLDB_TARGET_H
#define CLRSOS_PLUGIN_LLDB_TARGET_H

#include <cstdint>
#include <utility>
#include <vector>

#include <lldb/API/LLDB.h>

extern "C" {
#include "target/elfimage.h"
#include "target/vmregions.h"
#include "target/target.h"
#include "session/session.h"
}

namespace clrsos {

struct LldbTarget {
	LldbTarget(lldb::SBTarget t, lldb::SBProcess p) : target(t), process(p) {}
	~LldbTarget();
	LldbTarget(const LldbTarget &) = delete;
	LldbTarget &operator=(const LldbTarget &) = delete;

	lldb::SBTarget target;
	lldb::SBProcess process;
	// The debugger's settings (memory-reader), or nullptr: the defaults.
	const clrsos_settings *settings = nullptr;
	// A live process on this machine: its memory read directly from
	// /proc/<pid>/mem while lldb holds it stopped (checked at each command:
	// begin_command), else through the SB API.
	int mem_fd = -1;
	bool mem_tried = false;
	bool direct_ok = false;
	// Where lldb may have written breakpoint instructions (module code and
	// breakpoint locations), sorted and disjoint: there the bytes come from
	// lldb, which shows what the process had before.
	std::vector<std::pair<uint64_t, uint64_t>> through_lldb;
	// A core file, read in place (core/elfimage.h), once found among lldb's
	// mappings and checked against what lldb reads.
	bool core_tried = false;
	clrsos_elf_core *core = nullptr;
	// bpmd: the C++ exception breakpoint that catches the runtime's notifications.
	lldb::break_id_t notify_bp = LLDB_INVALID_BREAK_ID;
	// bpmd before the runtime: the breakpoint where it starts (symbol_breakpoint).
	lldb::break_id_t symbol_bp = LLDB_INVALID_BREAK_ID;
};

// That breakpoint's callback (plugin.cpp): baton is the process's unique id.
// Returns whether lldb stops there (never for a notification that sets only breakpoints).
bool on_notification(void *baton, lldb::SBProcess &process, lldb::SBThread &thread,
		     lldb::SBBreakpointLocation &location);

// The symbol breakpoint's callback (plugin.cpp), the same way.
bool on_symbol_breakpoint(void *baton, lldb::SBProcess &process, lldb::SBThread &thread,
			  lldb::SBBreakpointLocation &location);

extern const clrsos_target_ops lldb_target_ops;

// At the start of each command on a live process: whether lldb holds it
// stopped (lldb's state, and on this host the kernel's: traced by this lldb
// or its lldb-server, in a tracing stop); an error line when it does not.
// Also gathers where lldb may have written breakpoints.
clrsos_error *begin_command(LldbTarget *t);

} // namespace clrsos

#endif
