// The target (core/target.h) over lldb's SB API: memory through SBProcess,
// modules through SBTarget, threads and registers through SBThread.
#ifndef CLRSOS_PLUGIN_LLDB_TARGET_H
#define CLRSOS_PLUGIN_LLDB_TARGET_H

#include <lldb/API/LLDB.h>

extern "C" {
#include "target.h"
}

namespace clrsos {

struct LldbTarget {
	lldb::SBTarget target;
	lldb::SBProcess process;
};

extern const clrsos_target_ops lldb_target_ops;

} // namespace clrsos

#endif
