// The target (core/target.h) over lldb's SB API: memory through SBProcess,
// modules through SBTarget, threads and registers through SBThread.
#ifndef CLRSOS_PLUGIN_LLDB_TARGET_H
#define CLRSOS_PLUGIN_LLDB_TARGET_H

#include <lldb/API/LLDB.h>

extern "C" {
#include "elfimage.h"
#include "target.h"
}

namespace clrsos {

struct LldbTarget {
	LldbTarget(lldb::SBTarget t, lldb::SBProcess p) : target(t), process(p) {}
	~LldbTarget();
	LldbTarget(const LldbTarget &) = delete;
	LldbTarget &operator=(const LldbTarget &) = delete;

	lldb::SBTarget target;
	lldb::SBProcess process;
	// A live process on this machine: its memory read directly from
	// /proc/<pid>/mem (the process is stopped), else through the SB API.
	int mem_fd = -1;
	bool mem_tried = false;
	// A core file, read in place (core/elfimage.h), once found among lldb's
	// mappings and checked against what lldb reads.
	bool core_tried = false;
	clrsos_elf_core *core = nullptr;
};

extern const clrsos_target_ops lldb_target_ops;

} // namespace clrsos

#endif
