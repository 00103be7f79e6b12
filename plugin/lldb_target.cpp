#include "lldb_target.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <set>
#include <unistd.h>
#include <fstream>
#include <string>
#include <vector>

namespace clrsos {
namespace {

bool is_live(void *ctx);
const void *view(void *ctx, uint64_t address, size_t size, size_t *len);

bool lldb_memory_only()
{
	const char *only_lldb = getenv("CLRSOS_LLDB_MEMORY");
	return only_lldb && strcmp(only_lldb, "1") == 0;
}

// /proc/<pid>/mem of a live process lldb debugs on this host, or -1.
// CLRSOS_LLDB_MEMORY=1 reads through lldb only (to compare the two).
int proc_mem(LldbTarget *t)
{
	if (t->mem_tried)
		return t->mem_fd;
	t->mem_tried = true;
	if (lldb_memory_only())
		return -1;
	lldb::SBPlatform platform = t->target.GetPlatform();
	const char *name = platform.IsValid() ? platform.GetName() : nullptr;
	if (!is_live(t) || !name || strcmp(name, "host") != 0)
		return -1;
	std::string path = "/proc/" + std::to_string(t->process.GetProcessID()) + "/mem";
	t->mem_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	return t->mem_fd;
}

size_t read(void *ctx, uint64_t address, void *buf, size_t size)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	int fd = proc_mem(t);
	if (fd >= 0 && address <= static_cast<uint64_t>(INT64_MAX) - size) {
		ssize_t n = pread(fd, buf, size, static_cast<off_t>(address));
		if (n > 0)
			return static_cast<size_t>(n);
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

// Whether the core's bytes are those lldb reads for this process: a few
// segments, spread over the address space, compared.
bool core_matches(LldbTarget *t, const clrsos_elf_core *core)
{
	size_t n = core->nloads;
	for (size_t i : {size_t{0}, n / 3, 2 * n / 3, n - 1}) {
		uint8_t lldbs[64];
		size_t len = 0;
		const uint8_t *mine = clrsos_elf_core_at(core, core->loads[i].vaddr, sizeof(lldbs), &len);
		lldb::SBError error;
		if (!mine || t->process.ReadMemory(core->loads[i].vaddr, lldbs, len, error) != len ||
		    memcmp(mine, lldbs, len) != 0)
			return false;
	}
	return true;
}

// Find the core among the files lldb has mapped (lldb 14 gives no core
// path): the first that core/ maps as a core and that holds what lldb reads.
void open_core(LldbTarget *t)
{
	t->core_tried = true;
	if (lldb_memory_only() || is_live(t))
		return;
	std::ifstream maps("/proc/self/maps");
	std::set<std::string> seen;
	std::string line;
	while (!t->core && std::getline(maps, line)) {
		size_t slash = line.find('/');
		if (slash == std::string::npos || !seen.insert(line.substr(slash)).second)
			continue;
		int fd = open(line.c_str() + slash, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		clrsos_elf_core *core = nullptr;
		clrsos_error *err = clrsos_elf_core_open(fd, &core);
		close(fd);
		if (err)
			clrsos_error_destroy(err);
		else if (core_matches(t, core))
			t->core = core;
		else
			clrsos_elf_core_close(core);
	}
}

const void *view(void *ctx, uint64_t address, size_t size, size_t *len)
{
	auto *t = static_cast<LldbTarget *>(ctx);
	if (!t->core_tried)
		open_core(t);
	return t->core ? clrsos_elf_core_at(t->core, address, size, len) : nullptr;
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

} // namespace

LldbTarget::~LldbTarget()
{
	if (mem_fd >= 0)
		close(mem_fd);
	clrsos_elf_core_close(core);
}

const clrsos_target_ops lldb_target_ops = {
	read, modules, threads, registers, stop_id, is_live, view,
};

} // namespace clrsos
