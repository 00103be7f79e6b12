#include "lldb_target.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace clrsos {
namespace {

bool is_live(void *ctx);
const void *view(void *ctx, uint64_t address, size_t size, size_t *len);

// The memory-reader setting says to read everything through lldb.
bool lldb_memory_only(const LldbTarget *t)
{
	return t->settings && t->settings->memory_reader == CLRSOS_MEMORY_DEBUGGER;
}

bool on_this_host(LldbTarget *t)
{
	lldb::SBPlatform platform = t->target.GetPlatform();
	const char *name = platform.IsValid() ? platform.GetName() : nullptr;
	return name && strcmp(name, "host") == 0;
}

void close_mem(LldbTarget *t)
{
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	t->mem_fd = -1;
	t->mem_tried = false;
}

// /proc/<pid>/mem of a live process lldb holds stopped on this host, or -1.
// (memory-reader debugger reads through lldb only, to compare the two).
int proc_mem(LldbTarget *t)
{
	if (!t->direct_ok)
		return -1;
	if (t->mem_tried)
		return t->mem_fd;
	t->mem_tried = true;
	std::string path = "/proc/" + std::to_string(t->process.GetProcessID()) + "/mem";
	t->mem_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	return t->mem_fd;
}

// Where [address, address + n) meets a range lldb's bytes must fill, those
// bytes from lldb (its reads show what was there before a breakpoint). The
// count of bytes good from the start.
size_t mask_breakpoints(LldbTarget *t, uint64_t address, uint8_t *buf, size_t n)
{
	const auto &r = t->through_lldb;
	uint64_t end = address + n;
	// The first range that ends after address.
	auto it = std::upper_bound(r.begin(), r.end(), address,
				   [](uint64_t a, const std::pair<uint64_t, uint64_t> &x) { return a < x.second; });
	for (; it != r.end() && it->first < end; ++it) {
		uint64_t from = std::max(it->first, address), to = std::min(it->second, end);
		lldb::SBError error;
		size_t got = t->process.ReadMemory(from, buf + (from - address), to - from, error);
		if (got > to - from)
			got = 0;
		if (got < to - from)
			return static_cast<size_t>(from - address) + got;
	}
	return n;
}

size_t read(void *ctx, uint64_t address, void *buf, size_t size)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	int fd = proc_mem(t);
	if (fd >= 0 && address <= static_cast<uint64_t>(INT64_MAX) - size) {
		ssize_t n = pread(fd, buf, size, static_cast<off_t>(address));
		if (n > 0)
			return mask_breakpoints(t, address, static_cast<uint8_t *>(buf),
						static_cast<size_t>(n));
		// Unmapped at address, or refused: lldb decides (and its errors stand).
	}
	size_t have = 0;
	const void *in_core = view(ctx, address, size, &have);
	if (in_core && have == size) {
		memcpy(buf, in_core, size);
		return size;
	}
	lldb::SBError error;
	size_t n = t->process.ReadMemory(address, buf, size, error);
	return n > size ? 0 : n;
}

size_t lldb_read(void *ctx, uint64_t address, void *buf, size_t size)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	lldb::SBError error;
	size_t n = t->process.ReadMemory(address, buf, size, error);
	return n > size ? 0 : n;
}

// What lldb shows of the process it loaded from a core: its memory regions
// and its threads. False when lldb cannot list them.
bool lldb_view(LldbTarget *t, std::vector<clrsos_region> &regions,
	       std::vector<clrsos_core_thread> &threads)
{
	lldb::SBMemoryRegionInfoList list = t->process.GetMemoryRegions();
	for (uint32_t i = 0; i < list.GetSize(); i++) {
		lldb::SBMemoryRegionInfo info;
		if (!list.GetMemoryRegionAtIndex(i, info) || !info.IsMapped())
			continue;
		uint32_t flags = 0;
		if (info.IsReadable())
			flags |= CLRSOS_REGION_READ;
		if (info.IsWritable())
			flags |= CLRSOS_REGION_WRITE;
		if (info.IsExecutable())
			flags |= CLRSOS_REGION_EXEC;
		regions.push_back({info.GetRegionBase(), info.GetRegionEnd(), flags});
	}
	uint32_t n = t->process.GetNumThreads();
	for (uint32_t i = 0; i < n; i++) {
		lldb::SBThread thread = t->process.GetThreadAtIndex(i);
		lldb::SBFrame frame = thread.GetFrameAtIndex(0);
		uint64_t pc = frame.IsValid() ? frame.GetPC() : 0, sp = frame.IsValid() ? frame.GetSP() : 0;
		threads.push_back({static_cast<uint32_t>(thread.GetThreadID()),
				   pc == LLDB_INVALID_ADDRESS ? 0 : pc, sp == LLDB_INVALID_ADDRESS ? 0 : sp, 0});
	}
	return !regions.empty() && !threads.empty();
}

// Find the core among the files lldb has mapped (lldb 14 gives no core
// path): those that core/ maps as a core with exactly lldb's regions and
// threads; where more than one does (two cores of one process), lldb's
// bytes decide (core/elfimage.h). Unsure: none, and lldb reads everything.
void open_core(LldbTarget *t)
{
	if (lldb_memory_only(t))
		return; // not tried: memory-reader direct may come back
	t->core_tried = true;
	if (is_live(t))
		return;
	std::vector<clrsos_region> regions;
	std::vector<clrsos_core_thread> threads;
	if (!lldb_view(t, regions, threads))
		return;
	clrsos_core_view want = {regions.data(), regions.size(), threads.data(), threads.size()};
	std::ifstream maps("/proc/self/maps");
	std::set<std::pair<unsigned long, unsigned long>> seen; // device, inode
	std::vector<clrsos_elf_core *> fits;
	std::string line;
	while (std::getline(maps, line)) {
		// address perms offset major:minor inode path
		char dev[32];
		unsigned long inode = 0;
		int path_at = 0;
		if (sscanf(line.c_str(), "%*s %*s %*s %31s %lu %n", dev, &inode, &path_at) < 2 ||
		    inode == 0 || path_at <= 0 || line[path_at] != '/')
			continue;
		unsigned major = 0, minor = 0;
		if (sscanf(dev, "%x:%x", &major, &minor) != 2)
			continue;
		unsigned long device = makedev(major, minor);
		if (!seen.insert({device, inode}).second)
			continue;
		int fd = open(line.c_str() + path_at, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		// The file mapped, not another now at its path (O_NONBLOCK: a FIFO
		// put there meanwhile must not block the open).
		struct stat st;
		clrsos_elf_core *core = nullptr;
		clrsos_error *err = nullptr;
		if (fstat(fd, &st) == 0 && st.st_ino == inode && st.st_dev == device)
			err = clrsos_elf_core_open(fd, &core);
		close(fd);
		if (err)
			clrsos_error_destroy(err);
		if (core && clrsos_elf_core_fits(core, &want))
			fits.push_back(core);
		else
			clrsos_elf_core_close(core);
	}
	long chosen = clrsos_elf_core_choose(fits.data(), fits.size(), lldb_read, t);
	for (size_t i = 0; i < fits.size(); i++) {
		if (static_cast<long>(i) == chosen)
			t->core = fits[i];
		else
			clrsos_elf_core_close(fits[i]);
	}
}

const void *view(void *ctx, uint64_t address, size_t size, size_t *len)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	if (!t->core_tried)
		open_core(t);
	return t->core ? clrsos_elf_core_at(t->core, address, size, len) : nullptr;
}

size_t scan(void *ctx, uint64_t address, void *buf, size_t size)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	if (!t->core_tried)
		open_core(t);
	return t->core ? clrsos_elf_core_copy(t->core, address, buf, size) : 0;
}

size_t hex_to_bytes(const char *text, uint8_t *out, size_t max)
{
	size_t n = 0;
	int half = -1;
	for (const char *p = text; *p && n < max; p++) {
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue; // dashes between groups
		if (half < 0) {
			half = v;
		} else {
			out[n++] = static_cast<uint8_t>(half << 4 | v);
			half = -1;
		}
	}
	return n;
}

clrsos_error *modules(void *ctx, clrsos_module **ret, size_t *ret_count)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	uint32_t n = t->target.GetNumModules();
	auto *mods = static_cast<clrsos_module *>(calloc(n ? n : 1, sizeof(clrsos_module)));
	if (!mods)
		return &clrsos_error_no_memory;
	size_t count = 0;
	for (uint32_t i = 0; i < n; i++) {
		lldb::SBModule m = t->target.GetModuleAtIndex(i);
		lldb::SBAddress header = m.GetObjectFileHeaderAddress();
		lldb::addr_t base = header.GetLoadAddress(t->target);
		if (base == LLDB_INVALID_ADDRESS)
			continue;
		lldb::SBFileSpec fs = m.GetFileSpec();
		const char *name = fs.GetFilename();
		if (!name)
			continue;
		char path[4096];
		uint32_t len = fs.GetPath(path, sizeof(path));
		clrsos_module &out = mods[count];
		out.name = strdup(name);
		out.path = len ? strdup(path) : nullptr;
		out.base = base;
		if (const char *uuid = m.GetUUIDString())
			out.build_id_len = hex_to_bytes(uuid, out.build_id, sizeof(out.build_id));
		if (!out.name) {
			clrsos_modules_free(mods, count + 1);
			return &clrsos_error_no_memory;
		}
		count++;
	}
	*ret = mods;
	*ret_count = count;
	return nullptr;
}

clrsos_error *threads(void *ctx, clrsos_thread **ret, size_t *ret_count)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	uint32_t n = t->process.GetNumThreads();
	auto *out = static_cast<clrsos_thread *>(calloc(n ? n : 1, sizeof(clrsos_thread)));
	if (!out)
		return &clrsos_error_no_memory;
	for (uint32_t i = 0; i < n; i++)
		out[i].os_id = static_cast<uint32_t>(t->process.GetThreadAtIndex(i).GetThreadID());
	*ret = out;
	*ret_count = n;
	return nullptr;
}

clrsos_error *registers(void *ctx, uint32_t os_id, clrsos_regs *ret)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	lldb::SBThread thread = t->process.GetThreadByID(os_id);
	if (!thread.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "no thread with OS id %u (0x%x) in this process", os_id, os_id);
	lldb::SBFrame frame = thread.GetFrameAtIndex(0);
	if (!frame.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "thread %u has no frame to read registers from", os_id);
	memset(ret, 0, sizeof(*ret));
	struct Reg {
		const char *name;
		uint64_t *u64;
		uint16_t *u16;
	} regs[] = {
		{"rax", &ret->rax, nullptr}, {"rbx", &ret->rbx, nullptr},
		{"rcx", &ret->rcx, nullptr}, {"rdx", &ret->rdx, nullptr},
		{"rsi", &ret->rsi, nullptr}, {"rdi", &ret->rdi, nullptr},
		{"rbp", &ret->rbp, nullptr}, {"rsp", &ret->rsp, nullptr},
		{"r8", &ret->r8, nullptr},   {"r9", &ret->r9, nullptr},
		{"r10", &ret->r10, nullptr}, {"r11", &ret->r11, nullptr},
		{"r12", &ret->r12, nullptr}, {"r13", &ret->r13, nullptr},
		{"r14", &ret->r14, nullptr}, {"r15", &ret->r15, nullptr},
		{"rip", &ret->rip, nullptr}, {"rflags", &ret->rflags, nullptr},
		{"cs", nullptr, &ret->cs},   {"ss", nullptr, &ret->ss},
		{"ds", nullptr, &ret->ds},   {"es", nullptr, &ret->es},
		{"fs", nullptr, &ret->fs},   {"gs", nullptr, &ret->gs},
	};
	bool have_ip = false;
	for (const Reg &r : regs) {
		lldb::SBValue v = frame.FindRegister(r.name);
		if (!v.IsValid())
			continue;
		lldb::SBError error;
		uint64_t value = v.GetValueAsUnsigned(error, 0);
		if (error.Fail())
			continue;
		if (r.u64)
			*r.u64 = value;
		else
			*r.u16 = static_cast<uint16_t>(value);
		if (r.u64 == &ret->rip)
			have_ip = true;
	}
	if (!have_ip)
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "the registers of thread %u cannot be read", os_id);
	return nullptr;
}

uint64_t stop_id(void *ctx)
{
	return static_cast<LldbTarget *>(ctx)->process.GetStopID();
}

bool is_live(void *ctx)
{
	const char *name = static_cast<LldbTarget *>(ctx)->process.GetPluginName();
	return name && strcmp(name, "elf-core") != 0 && strcmp(name, "minidump") != 0;
}

// The kernel's word on a process: who traces it, and its state letter.
bool proc_status(uint64_t pid, long *tracer, long *parent, char *state)
{
	std::ifstream status("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	int found = 0;
	while (std::getline(status, line)) {
		if (line.compare(0, 10, "TracerPid:") == 0) {
			*tracer = strtol(line.c_str() + 10, nullptr, 10);
			found |= 1;
		} else if (line.compare(0, 5, "PPid:") == 0) {
			*parent = strtol(line.c_str() + 5, nullptr, 10);
			found |= 2;
		} else if (line.compare(0, 6, "State:") == 0) {
			size_t at = line.find_first_not_of(" \t", 6);
			*state = at == std::string::npos ? '?' : line[at];
			found |= 4;
		}
	}
	return found == 7;
}

clrsos_error *not_stopped(LldbTarget *t, const char *why, ...) __attribute__((format(printf, 2, 3)));
clrsos_error *not_stopped(LldbTarget *t, const char *why, ...)
{
	close_mem(t);
	char text[512];
	va_list ap;
	va_start(ap, why);
	vsnprintf(text, sizeof(text), why, ap);
	va_end(ap);
	return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
				   "the process is not stopped under this debugger: %s; attach to it again (process attach -p %llu)",
				   text, static_cast<unsigned long long>(t->process.GetProcessID()));
}

// Module code and breakpoint locations: where lldb may have written int3.
void gather_breakpoint_ranges(LldbTarget *t)
{
	auto &r = t->through_lldb;
	r.clear();
	uint32_t nmods = t->target.GetNumModules();
	for (uint32_t i = 0; i < nmods; i++) {
		lldb::SBModule m = t->target.GetModuleAtIndex(i);
		size_t nsec = m.GetNumSections();
		for (size_t j = 0; j < nsec; j++) {
			lldb::SBSection sec = m.GetSectionAtIndex(j);
			if (!(sec.GetPermissions() & lldb::ePermissionsExecutable))
				continue;
			lldb::addr_t load = sec.GetLoadAddress(t->target);
			uint64_t size = sec.GetByteSize();
			if (load != LLDB_INVALID_ADDRESS && size > 0 && load <= UINT64_MAX - size)
				r.push_back({load, load + size});
		}
	}
	uint32_t nbps = t->target.GetNumBreakpoints();
	for (uint32_t i = 0; i < nbps; i++) {
		lldb::SBBreakpoint bp = t->target.GetBreakpointAtIndex(i);
		size_t nlocs = bp.GetNumLocations();
		for (size_t j = 0; j < nlocs; j++) {
			lldb::SBBreakpointLocation loc = bp.GetLocationAtIndex(static_cast<uint32_t>(j));
			lldb::addr_t a = loc.IsValid() ? loc.GetLoadAddress() : LLDB_INVALID_ADDRESS;
			if (a != LLDB_INVALID_ADDRESS && a < UINT64_MAX)
				r.push_back({a, a + 1}); // int3: one byte
		}
	}
	std::sort(r.begin(), r.end());
	size_t out = 0;
	for (size_t i = 0; i < r.size(); i++) {
		if (out > 0 && r[i].first <= r[out - 1].second)
			r[out - 1].second = std::max(r[out - 1].second, r[i].second);
		else
			r[out++] = r[i];
	}
	r.resize(out);
}

} // namespace

clrsos_error *begin_command(LldbTarget *t)
{
	t->direct_ok = false;
	t->through_lldb.clear();
	if (lldb_memory_only(t) && t->core) {
		// memory-reader debugger, set since the core was opened: let it go.
		clrsos_elf_core_close(t->core);
		t->core = nullptr;
		t->core_tried = false;
	}
	if (!is_live(t))
		return nullptr;
	lldb::StateType state = t->process.GetState();
	if (state != lldb::eStateStopped && state != lldb::eStateCrashed &&
	    state != lldb::eStateSuspended)
		return not_stopped(t, "lldb says it is %s", lldb::SBDebugger::StateAsCString(state));
	if (!on_this_host(t))
		return nullptr; // lldb reads it through its remote connection
	uint64_t pid = t->process.GetProcessID();
	long tracer = -1, parent = -1;
	char kstate = '?';
	if (!proc_status(pid, &tracer, &parent, &kstate))
		return not_stopped(t, "/proc/%llu/status cannot be read (has it exited?)",
				   static_cast<unsigned long long>(pid));
	if (tracer == 0)
		return not_stopped(t, "no debugger traces process %llu (it was detached)",
				   static_cast<unsigned long long>(pid));
	if (kstate != 't')
		return not_stopped(t, "process %llu is running (kernel state '%c', not a tracing stop)",
				   static_cast<unsigned long long>(pid), kstate);
	// Traced, stopped: by this lldb or the lldb-server it started, its
	// memory may be read directly; by another tracer (a gdbserver lldb
	// connected to), only through lldb.
	long ours = getpid(), tracer_parent = -1, unused = -1;
	char tracer_state = '?';
	bool mine = tracer == ours ||
		    (proc_status(static_cast<uint64_t>(tracer), &unused, &tracer_parent, &tracer_state) &&
		     tracer_parent == ours);
	if (!mine || lldb_memory_only(t)) {
		close_mem(t);
		return nullptr;
	}
	gather_breakpoint_ranges(t);
	t->direct_ok = true;
	return nullptr;
}

namespace {

size_t write(void *ctx, uint64_t address, const void *buf, size_t size)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	lldb::SBError error;
	size_t n = t->process.WriteMemory(address, buf, size, error);
	return n > size ? 0 : n;
}

clrsos_error *breakpoint_set(void *ctx, uint64_t address, uint32_t *ret_id)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	lldb::SBBreakpoint bp = t->target.BreakpointCreateByAddress(address);
	if (!bp.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "lldb could not set a breakpoint at 0x%llx",
					   static_cast<unsigned long long>(address));
	*ret_id = static_cast<uint32_t>(bp.GetID());
	if (bp.GetNumResolvedLocations() == 0 && is_live(ctx)) {
		// lldb-server could not write the trap: JIT code under W^X is a
		// shared mapping that ptrace may not write.
		t->target.BreakpointDelete(bp.GetID());
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "lldb could not write a breakpoint into the JIT-compiled code at 0x%llx: "
					   "start the process with DOTNET_EnableWriteXorExecute=0 (W^X keeps its code "
					   "unwritable to debuggers)",
					   static_cast<unsigned long long>(address));
	}
	return nullptr;
}

void breakpoint_delete(void *ctx, uint32_t id)
{
	static_cast<LldbTarget *>(ctx)->target.BreakpointDelete(static_cast<lldb::break_id_t>(id));
}

clrsos_error *notifications(void *ctx, bool on)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	if (!on) {
		if (t->notify_bp != LLDB_INVALID_BREAK_ID)
			t->target.BreakpointDelete(t->notify_bp);
		t->notify_bp = LLDB_INVALID_BREAK_ID;
		return nullptr;
	}
	if (t->notify_bp != LLDB_INVALID_BREAK_ID && t->target.FindBreakpointByID(t->notify_bp).IsValid())
		return nullptr;
	// The runtime raises its notifications as C++ exceptions (its PAL's
	// RaiseException throws), only while a debugger traces it.
	lldb::SBBreakpoint bp = t->target.BreakpointCreateForException(lldb::eLanguageTypeC_plus_plus, false, true);
	if (!bp.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_OTHER,
					   "lldb could not set a C++ exception breakpoint to catch the runtime's notifications");
	bp.SetCallback(on_notification, reinterpret_cast<void *>(static_cast<uintptr_t>(t->process.GetUniqueID())));
	t->notify_bp = bp.GetID();
	return nullptr;
}

clrsos_error *symbol_breakpoint(void *ctx, const char *module, const char *symbol)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	if (t->symbol_bp != LLDB_INVALID_BREAK_ID)
		t->target.BreakpointDelete(t->symbol_bp);
	t->symbol_bp = LLDB_INVALID_BREAK_ID;
	if (!symbol)
		return nullptr;
	// Pending in lldb until the module loads.
	lldb::SBBreakpoint bp = t->target.BreakpointCreateByName(symbol, module);
	if (!bp.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "lldb could not set a breakpoint on %s in %s", symbol,
					   module);
	bp.SetCallback(on_symbol_breakpoint,
		       reinterpret_cast<void *>(static_cast<uintptr_t>(t->process.GetUniqueID())));
	t->symbol_bp = bp.GetID();
	return nullptr;
}

} // namespace

LldbTarget::~LldbTarget()
{
	if (mem_fd >= 0)
		close(mem_fd);
	clrsos_elf_core_close(core);
}

// lldb's disassembler over bytes already read (core/target.c reads them,
// breakpoints masked), as if they were at address.
clrsos_error *disassemble(void *ctx, uint64_t address, const uint8_t *code, size_t size, clrsos_insn **ret,
			  size_t *ret_count)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	lldb::SBAddress base(static_cast<lldb::addr_t>(address), t->target);
	// Intel syntax, as SOS shows code.
	lldb::SBInstructionList list = t->target.GetInstructionsWithFlavor(base, "intel", code, size);
	size_t n = list.IsValid() ? list.GetSize() : 0;
	if (size && !n)
		return clrsos_error_create(CLRSOS_ERROR_OTHER, "lldb cannot disassemble the code at 0x%" PRIx64,
					   address);
	auto *out = static_cast<clrsos_insn *>(calloc(n ? n : 1, sizeof(clrsos_insn)));
	if (!out)
		return &clrsos_error_no_memory;
	uint64_t at = address;
	for (size_t i = 0; i < n; i++) {
		lldb::SBInstruction insn = list.GetInstructionAtIndex(static_cast<uint32_t>(i));
		const char *mnemonic = insn.GetMnemonic(t->target);
		const char *operands = insn.GetOperands(t->target);
		out[i].address = at;
		out[i].size = static_cast<uint32_t>(insn.GetByteSize());
		out[i].mnemonic = strdup(mnemonic ? mnemonic : "");
		out[i].operands = strdup(operands ? operands : "");
		if (!out[i].mnemonic || !out[i].operands) {
			clrsos_insns_free(out, i + 1);
			return &clrsos_error_no_memory;
		}
		at += out[i].size ? out[i].size : 1;
	}
	*ret = out;
	*ret_count = n;
	return nullptr;
}

// The process's mappings: live on this host from /proc/<pid>/smaps (with
// resident bytes), from a core found in place its headers and NT_FILE note,
// else what lldb lists (its names, where it has them).
clrsos_error *vm_regions(void *ctx, clrsos_vm_region **ret, size_t *ret_count)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	*ret = nullptr;
	*ret_count = 0;
	if (is_live(t) && on_this_host(t))
		return clrsos_vm_regions_proc(t->process.GetProcessID(), ret, ret_count);
	if (!is_live(t)) {
		if (!t->core_tried)
			open_core(t);
		if (t->core)
			return clrsos_vm_regions_core(t->core, ret, ret_count);
	}
	lldb::SBMemoryRegionInfoList list = t->process.GetMemoryRegions();
	uint32_t n = list.GetSize();
	auto *out = static_cast<clrsos_vm_region *>(calloc(n ? n : 1, sizeof(clrsos_vm_region)));
	if (!out)
		return &clrsos_error_no_memory;
	size_t count = 0;
	for (uint32_t i = 0; i < n; i++) {
		lldb::SBMemoryRegionInfo info;
		if (!list.GetMemoryRegionAtIndex(i, info) || !info.IsMapped())
			continue;
		clrsos_vm_region &r = out[count++];
		r.start = info.GetRegionBase();
		r.end = info.GetRegionEnd();
		r.prot = (info.IsReadable() ? unsigned(CLRSOS_VM_READ) : 0u) |
			 (info.IsWritable() ? unsigned(CLRSOS_VM_WRITE) : 0u) |
			 (info.IsExecutable() ? unsigned(CLRSOS_VM_EXEC) : 0u);
		r.resident = CLRSOS_VM_UNKNOWN;
		r.in_core = CLRSOS_VM_UNKNOWN;
		const char *name = info.GetName();
		if (name && *name) {
			r.path = strdup(name);
			if (!r.path) {
				clrsos_vm_regions_free(out, count);
				return &clrsos_error_no_memory;
			}
		}
	}
	*ret = out;
	*ret_count = count;
	return nullptr;
}

// lldb's line table entry for code at address (native code with debug info).
bool source_line(void *ctx, uint64_t address, char **ret_file, uint32_t *ret_line)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	*ret_file = nullptr;
	*ret_line = 0;
	lldb::SBAddress a = t->target.ResolveLoadAddress(static_cast<lldb::addr_t>(address));
	if (!a.IsValid())
		return false;
	lldb::SBLineEntry entry = a.GetLineEntry();
	if (!entry.IsValid() || entry.GetLine() == 0)
		return false;
	char path[4096];
	uint32_t n = entry.GetFileSpec().GetPath(path, sizeof(path));
	if (n == 0 || n >= sizeof(path))
		return false;
	*ret_file = strdup(path);
	*ret_line = entry.GetLine();
	return *ret_file != nullptr;
}

const clrsos_target_ops lldb_target_ops = {
	read, modules, threads, registers, stop_id, is_live, view, disassemble, write, breakpoint_set, breakpoint_delete,
	notifications, symbol_breakpoint, source_line, vm_regions, scan,
};

} // namespace clrsos
