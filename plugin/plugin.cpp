// libclrsos.so: registers clrsos's commands with lldb. Each command is a
// thin adapter: the argv lldb gives -> one call into core/ -> a writer into
// lldb's command result; an error becomes SetError with a failed status.
// No CLR knowledge lives here.

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <time.h>
#include <unistd.h>

#include <lldb/API/LLDB.h>

#include "lldb_target.h"

extern "C" {
#include "commands/commands.h"
#include "session/session.h"
}

namespace clrsos {
namespace {

struct Session {
	lldb::user_id_t debugger_id = 0;
	std::unique_ptr<LldbTarget> target;
	clrsos_session *session = nullptr;
};

// One clrsos session per debugged process (by its unique id), while that
// process lives in its target (see sweep).
std::map<uint32_t, Session> &sessions()
{
	static std::map<uint32_t, Session> map;
	return map;
}

bool ended(lldb::StateType state)
{
	return state == lldb::eStateInvalid || state == lldb::eStateExited ||
	       state == lldb::eStateDetached || state == lldb::eStateUnloaded;
}

// Whether a session's process is still its target's, in a target of this
// debugger, and neither exited nor detached.
bool still_there(lldb::SBDebugger &debugger, const Session &s)
{
	lldb::SBTarget target = s.target->target;
	bool listed = false;
	for (uint32_t i = 0, n = debugger.GetNumTargets(); i < n && !listed; i++)
		listed = debugger.GetTargetAtIndex(i) == target;
	if (!listed)
		return false;
	lldb::SBProcess now = target.GetProcess();
	return now.IsValid() && now.GetUniqueID() == s.target->process.GetUniqueID() &&
	       !ended(now.GetState());
}

// At each command: end the sessions whose process or target is gone (the
// DAC instance, the core's mapping, the descriptors, and lldb's target and
// process that the session held). The DAC library itself stays loaded.
void sweep(lldb::SBDebugger &debugger)
{
	auto &map = sessions();
	for (auto it = map.begin(); it != map.end();) {
		Session &s = it->second;
		bool keep = s.target && (s.debugger_id == debugger.GetID()
						 ? still_there(debugger, s)
						 : lldb::SBDebugger::FindDebuggerWithID(s.debugger_id).IsValid());
		if (keep) {
			++it;
			continue;
		}
		clrsos_session_destroy(s.session); // and the clrsos_target it owns
		s.session = nullptr;
		s.target.reset();
		it = map.erase(it);
	}
}

// What the user sets for every session (clrsos settings, setclrpath), with
// or without a process: one set for the whole lldb process.
clrsos_settings &settings()
{
	static clrsos_settings s = [] {
		clrsos_settings d;
		clrsos_settings_init(&d);
		return d;
	}();
	return s;
}

// The settings' first values from the environment, for compatibility: read
// here, once, when the plugin loads, and nowhere else (core/ reads no
// environment). A value that does not parse is said on stderr and left out.
void seed_settings_from_environment()
{
	static bool seeded = false;
	if (seeded)
		return;
	seeded = true;
	clrsos_settings &s = settings();
	// As before: any directory, checked when the DAC is loaded (its error names it).
	const char *dir = getenv("CLRSOS_RUNTIME_DIR");
	if (dir && dir[0]) {
		free(s.runtime_dir);
		s.runtime_dir = strdup(dir);
	}
	const char *after = getenv("CLRSOS_PROGRESS_AFTER_MS");
	if (after) {
		clrsos_error *err = clrsos_settings_set(&s, clrsos_setting_find("progress-after-ms"), after);
		if (err) {
			fprintf(stderr, "clrsos: CLRSOS_PROGRESS_AFTER_MS left out: %s\n", err->message);
			clrsos_error_destroy(err);
		}
	}
	const char *memory = getenv("CLRSOS_LLDB_MEMORY");
	if (memory && strcmp(memory, "1") == 0)
		s.memory_reader = CLRSOS_MEMORY_DEBUGGER;
}

// Whether Python code runs on this thread (a script, or a command written
// in Python, called us): it reads the command's result object. lldb's
// Python bindings let go of the interpreter lock around each call, so ask
// the thread's Python state for a frame (libpython's C API, looked up in
// the process: a Python lldb loaded, or none). Not found: assume a script.
bool python_running()
{
	using int_fn = int (*)();
	using release_fn = void (*)(int);
	using tstate_fn = void *(*)();
	using frame_fn = void *(*)(void *);
	using decref_fn = void (*)(void *);
	static auto initialized = reinterpret_cast<int_fn>(dlsym(RTLD_DEFAULT, "Py_IsInitialized"));
	static auto this_state = reinterpret_cast<tstate_fn>(dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState"));
	static auto ensure = reinterpret_cast<int_fn>(dlsym(RTLD_DEFAULT, "PyGILState_Ensure"));
	static auto release = reinterpret_cast<release_fn>(dlsym(RTLD_DEFAULT, "PyGILState_Release"));
	static auto frame_of = reinterpret_cast<frame_fn>(dlsym(RTLD_DEFAULT, "PyThreadState_GetFrame"));
	static auto decref = reinterpret_cast<decref_fn>(dlsym(RTLD_DEFAULT, "Py_DecRef"));
	if (!initialized)
		return false; // no Python in this process
	if (!initialized())
		return false;
	if (!this_state || !ensure || !release || !frame_of || !decref)
		return true;
	void *state = this_state();
	if (!state)
		return false; // this thread never ran Python
	int gil = ensure();
	void *frame = frame_of(state);
	if (frame)
		decref(frame);
	release(gil);
	return frame != nullptr;
}

// Whether lldb prints this command's result on its output when the command
// ends: so in the lldb program (interactive, -o/-s, command source), but not
// for a script or a debugger front end (lldb-dap, an IDE) that reads the
// result object. Then the output goes straight there, as it is made.
bool lldb_prints_result()
{
	static int driver = -1;
	if (driver < 0) {
		char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		const char *base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		// lldb, lldb-14, lldb-19 ...; not lldb-dap, lldb-vscode, lldb-server.
		driver = strcmp(base, "lldb") == 0 ||
			 (strncmp(base, "lldb-", 5) == 0 && base[5] >= '0' && base[5] <= '9');
	}
	return driver && !python_running();
}

double coarse_seconds()
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

// A command's output: gathered in large pieces (one write each), then
// either streamed to the debugger's output as it is made (when lldb would
// print the result there anyway: nothing is held, the first rows show at
// once) or put into the command's result for the script that reads it.
struct ResultWriter {
	lldb::SBCommandReturnObject *result;
	lldb::SBFile stream; // valid: stream there
	std::string pending;
	double flushed = coarse_seconds();
	bool mid_line = false; // what was streamed ends inside a line

	void flush()
	{
		if (!pending.empty()) {
			mid_line = pending.back() != '\n';
			if (stream.IsValid()) {
				size_t done = 0;
				while (done < pending.size()) {
					size_t n = 0;
					lldb::SBError e = stream.Write(
						reinterpret_cast<const uint8_t *>(pending.data()) + done,
						pending.size() - done, &n);
					if (e.Fail() || n == 0)
						break; // the output is gone (a closed pipe): drop the rest
					done += n;
				}
				stream.Flush();
			} else {
				result->Printf("%s", pending.c_str());
			}
		}
		pending.clear();
		flushed = coarse_seconds();
	}
};

void write_to_result(void *ctx, const char *text, size_t size)
{
	auto *w = static_cast<ResultWriter *>(ctx);
	w->pending.append(text, size);
	// Streamed: every 64 KB, or what came in the last tenth of a second.
	if (w->pending.size() >= (w->stream.IsValid() ? (64u << 10) : (1u << 20)) ||
	    (w->stream.IsValid() && coarse_seconds() - w->flushed >= 0.1))
		w->flush();
}

// Whether the user pressed Ctrl-C in lldb during this command.
bool interrupt_requested(void *ctx)
{
	return static_cast<lldb::SBCommandInterpreter *>(ctx)->WasInterrupted();
}

// Progress lines go straight to the debugger's error stream, as they happen:
// after the output streamed so far, and never into the middle of one of its lines.
struct ProgressWriter {
	lldb::SBFile file;
	ResultWriter *out;
};

void write_to_error_file(void *ctx, const char *text, size_t size)
{
	auto *p = static_cast<ProgressWriter *>(ctx);
	if (p->out->stream.IsValid()) {
		p->out->flush();
		if (p->out->mid_line)
			return;
	}
	size_t written = 0;
	p->file.Write(reinterpret_cast<const uint8_t *>(text), size, &written);
	p->file.Flush();
}

struct EvalContext {
	lldb::SBTarget target;
	lldb::SBFrame frame;
};

clrsos_error *evaluate(void *ctx, const char *expression, uint64_t *ret)
{
	auto *e = static_cast<EvalContext *>(ctx);
	lldb::SBValue v = e->frame.IsValid() ? e->frame.EvaluateExpression(expression)
					     : e->target.EvaluateExpression(expression);
	lldb::SBError error = v.GetError();
	if (!v.IsValid() || error.Fail()) {
		// lldb's message spans lines (source excerpt, caret): keep it one line.
		std::string why = error.GetCString() ? error.GetCString() : "";
		std::string line;
		bool space = false;
		for (char c : why) {
			bool ws = c == '\n' || c == '\r' || c == '\t' || c == ' ';
			if (ws) {
				space = !line.empty();
				continue;
			}
			if (space)
				line += ' ';
			space = false;
			line += c;
		}
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "cannot evaluate '%s' as an address%s%s", expression,
					   line.empty() ? "" : ": ", line.c_str());
	}
	lldb::SBError conv;
	uint64_t value = v.GetValueAsUnsigned(conv, 0);
	if (conv.Fail())
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "'%s' is not an address", expression);
	*ret = value;
	return nullptr;
}

char *dup_or_null(const char *s)
{
	return s ? strdup(s) : nullptr;
}

clrsos_error *backtrace(void *ctx, uint32_t os_thread_id, clrsos_native_frame *ret, size_t max,
			size_t *ret_count)
{
	auto *e = static_cast<EvalContext *>(ctx);
	lldb::SBThread thread = e->target.GetProcess().GetThreadByID(os_thread_id);
	if (!thread.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "no thread with OS id %u (0x%x) in this process", os_thread_id,
					   os_thread_id);
	size_t n = 0;
	uint32_t frames = thread.GetNumFrames();
	for (uint32_t i = 0; i < frames && n < max; i++) {
		lldb::SBFrame f = thread.GetFrameAtIndex(i);
		clrsos_native_frame &out = ret[n++];
		out.pc = f.GetPC();
		out.sp = f.GetSP();
		// lldb's synthetic names for symbol-less code say nothing: leave those unnamed.
		const char *name = f.GetFunctionName();
		out.name = name && strncmp(name, "___lldb_unnamed_symbol", 22) != 0 ? strdup(name) : nullptr;
		lldb::SBFileSpec fs = f.GetModule().GetFileSpec();
		out.module = dup_or_null(fs.GetFilename());
	}
	*ret_count = n;
	return nullptr;
}

void symbolize(void *ctx, uint64_t address, char **ret_module, char **ret_name, uint64_t *ret_offset)
{
	auto *e = static_cast<EvalContext *>(ctx);
	*ret_module = *ret_name = nullptr;
	*ret_offset = 0;
	lldb::SBAddress a = e->target.ResolveLoadAddress(address);
	if (!a.IsValid())
		return;
	*ret_module = dup_or_null(a.GetModule().GetFileSpec().GetFilename());
	lldb::SBSymbol sym = a.GetSymbol();
	// As SOS on lldb names them: lldb's own names for symbol-less functions too.
	const char *name = sym.IsValid() ? sym.GetName() : nullptr;
	if (!name)
		return;
	*ret_name = strdup(name);
	uint64_t start = sym.GetStartAddress().GetLoadAddress(e->target);
	*ret_offset = start != LLDB_INVALID_ADDRESS && address >= start ? address - start : 0;
}

uint32_t thread_index(void *ctx, uint32_t os_thread_id)
{
	auto *e = static_cast<EvalContext *>(ctx);
	lldb::SBThread thread = e->target.GetProcess().GetThreadByID(os_thread_id);
	return thread.IsValid() ? thread.GetIndexID() : 0;
}

clrsos_error *select_thread(void *ctx, uint32_t os_thread_id)
{
	auto *e = static_cast<EvalContext *>(ctx);
	if (!e->target.GetProcess().SetSelectedThreadByID(os_thread_id))
		return clrsos_error_create(CLRSOS_ERROR_INVALID_ARGUMENT,
					   "lldb could not select the thread with OS id %u (0x%x)", os_thread_id,
					   os_thread_id);
	return nullptr;
}

// The session of the debugger's selected process, created on first use.
clrsos_error *session_for(lldb::SBDebugger &debugger, lldb::SBTarget &target_out,
			  clrsos_session **ret)
{
	sweep(debugger);
	lldb::SBTarget target = debugger.GetSelectedTarget();
	if (!target.IsValid())
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "no target: attach to a .NET process (process attach -p <pid>) or open a core (target create <host> --core <core>)");
	lldb::SBProcess process = target.GetProcess();
	if (!process.IsValid() || process.GetState() == lldb::eStateInvalid ||
	    process.GetState() == lldb::eStateExited || process.GetState() == lldb::eStateDetached)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "no process: attach to a .NET process (process attach -p <pid>) or open a core (target create <host> --core <core>)");
	if (process.GetState() == lldb::eStateRunning || process.GetState() == lldb::eStateStepping)
		return clrsos_error_create(CLRSOS_ERROR_NO_TARGET,
					   "the process is running: stop it first (process interrupt)");
	target_out = target;
	Session &s = sessions()[process.GetUniqueID()];
	if (!s.session) {
		s.debugger_id = debugger.GetID();
		s.target.reset(new LldbTarget(target, process));
		s.target->settings = &settings();
		clrsos_target *t = nullptr;
		clrsos_error *err = clrsos_target_create(&lldb_target_ops, s.target.get(), &t);
		if (!err)
			err = clrsos_session_create(t, &settings(), &s.session);
		if (err) {
			clrsos_target_destroy(t);
			sessions().erase(process.GetUniqueID());
			return err;
		}
	}
	if (clrsos_error *err = begin_command(s.target.get()))
		return err;
	*ret = s.session;
	return nullptr;
}

void write_to_file(void *ctx, const char *text, size_t size)
{
	auto *file = static_cast<lldb::SBFile *>(ctx);
	size_t n = 0;
	if (file->IsValid())
		file->Write(reinterpret_cast<const uint8_t *>(text), size, &n);
}

// bpmd: the process stopped at a breakpoint clrsos set for it (a C++
// exception thrown while bpmd watches the runtime's notifications, or where
// the runtime starts). lldb's private state thread calls this with the
// process stopped: memory is read through lldb only (direct reads need the
// public stop begin_command checks). Nothing may escape into lldb.
using StopHandler = clrsos_error *(*)(clrsos_session *, clrsos_writer *, bool *);

bool run_stop_handler(void *baton, lldb::SBProcess &process, StopHandler handler)
{
	try {
		auto it = sessions().find(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(baton)));
		if (it == sessions().end() || !it->second.session || !it->second.target ||
		    process.GetUniqueID() != it->second.target->process.GetUniqueID())
			return false;
		Session &s = it->second;
		s.target->direct_ok = false;
		lldb::SBFile file = process.GetTarget().GetDebugger().GetOutputFile();
		clrsos_writer out = {write_to_file, &file};
		clrsos_session_begin_command(s.session);
		clrsos_session_refresh(s.session);
		bool stop = false;
		clrsos_error *err = handler(s.session, &out, &stop);
		clrsos_error *crash = clrsos_session_end_command(s.session, err);
		for (clrsos_error *e : {err, crash}) {
			if (!e)
				continue;
			std::string line = std::string("clrsos: bpmd: ") + e->message + "\n";
			write_to_file(&file, line.data(), line.size());
			clrsos_error_destroy(e);
		}
		if (file.IsValid())
			file.Flush();
		return stop;
	} catch (...) {
		return false;
	}
}

} // namespace

bool on_notification(void *baton, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &)
{
	return run_stop_handler(baton, process, clrsos_bpmd_notification);
}

// bpmd given before the runtime was loaded: the runtime has started.
bool on_symbol_breakpoint(void *baton, lldb::SBProcess &process, lldb::SBThread &, lldb::SBBreakpointLocation &)
{
	return run_stop_handler(baton, process, clrsos_bpmd_symbol_hit);
}

namespace {

class Command : public lldb::SBCommandPluginInterface {
public:
	explicit Command(const clrsos_command *command) : command_(command) {}

	bool DoExecute(lldb::SBDebugger debugger, char **command,
		       lldb::SBCommandReturnObject &result) override
	{
		int argc = 0;
		while (command && command[argc])
			argc++;
		ResultWriter out{&result, lldb_prints_result() ? debugger.GetOutputFile() : lldb::SBFile(), {}};
		clrsos_writer writer = {write_to_result, &out};
		lldb::SBFile error_file = debugger.GetErrorFile();
		lldb::SBCommandInterpreter interp = debugger.GetCommandInterpreter();
		FILE *error_handle = debugger.GetErrorFileHandle();
		ProgressWriter progress_writer{error_file, &out};
		clrsos_writer progress = {write_to_error_file, &progress_writer};
		lldb::SBTarget target;
		clrsos_session *session = nullptr;
		clrsos_error *err = session_for(debugger, target, &session);
		if (err && command_->needs_no_process) {
			clrsos_error_destroy(err);
			err = nullptr;
			session = nullptr;
		}
		if (!err) {
			EvalContext eval{target, target.IsValid()
							 ? target.GetProcess().GetSelectedThread().GetSelectedFrame()
							 : lldb::SBFrame()};
			lldb::SBThread selected = target.IsValid() ? target.GetProcess().GetSelectedThread()
								   : lldb::SBThread();
			clrsos_host host = {evaluate, &eval, &settings(),
					    error_file.IsValid() ? &progress : nullptr,
					    selected.IsValid() ? static_cast<uint32_t>(selected.GetThreadID()) : 0,
					    backtrace, interrupt_requested, &interp,
					    error_handle && isatty(fileno(error_handle)), thread_index, select_thread,
					    symbolize};
			err = clrsos_command_run(command_, session, &host, argc,
						 const_cast<const char *const *>(command), &writer);
		} else {
			clrsos_command_report(command_->name, argc, const_cast<const char *const *>(command), err,
					      &writer);
		}
		out.flush();
		if (err && err->code == CLRSOS_ERROR_INTERRUPTED && out.stream.IsValid() && error_file.IsValid()) {
			// lldb shows an interrupted command's result as "... Interrupted."
			// alone: the output is on the screen already, say why it stopped.
			std::string line = std::string("error: ") + err->message + "\n";
			size_t n = 0;
			error_file.Write(reinterpret_cast<const uint8_t *>(line.data()), line.size(), &n);
			error_file.Flush();
			result.SetStatus(lldb::eReturnStatusFailed);
			clrsos_error_destroy(err);
			return false;
		}
		if (err) {
			result.SetError(err->message);
			result.SetStatus(lldb::eReturnStatusFailed);
			clrsos_error_destroy(err);
			return false;
		}
		result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
		return true;
	}

private:
	const clrsos_command *command_;
};

void append_to_string(void *ctx, const char *text, size_t size)
{
	static_cast<std::string *>(ctx)->append(text, size);
}

// `clrsos <command> ...`: one plain command that finds its command in any
// case (lldb's multiword lookup would be case-sensitive), or lists them.
class Dispatch : public lldb::SBCommandPluginInterface {
public:
	bool DoExecute(lldb::SBDebugger debugger, char **command,
		       lldb::SBCommandReturnObject &result) override
	{
		int argc = 0;
		while (command && command[argc])
			argc++;
		const char *const *argv = const_cast<const char *const *>(command);
		std::string text;
		clrsos_writer writer = {append_to_string, &text};
		const clrsos_command *c = nullptr;
		clrsos_error *err = clrsos_command_select(argc, argv, &writer, &c);
		if (c)
			return Command(c).DoExecute(debugger, command + 1, result);
		clrsos_command_report("clrsos", argc, argv, err, &writer);
		result.Printf("%s", text.c_str());
		if (err) {
			result.SetError(err->message);
			result.SetStatus(lldb::eReturnStatusFailed);
			clrsos_error_destroy(err);
			return false;
		}
		result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
		return true;
	}
};

// Who holds a top-level name already: nobody, lldb itself (a built-in
// command or alias: lldb keeps it, as it keeps `settings`), or another
// plugin or script (SOS's libsosplugin.so, a Python command). CommandExists
// and AliasExists see only lldb's own; ResolveCommand sees every command,
// and resolves a name that is exactly one to that name (an abbreviation of
// a longer command resolves to the longer one, which a registered name
// would take precedence over).
enum class Holder { none, lldb, other };

Holder holder_of(lldb::SBCommandInterpreter &interp, const char *name)
{
	if (interp.CommandExists(name) || interp.AliasExists(name))
		return Holder::lldb;
	lldb::SBCommandReturnObject resolved;
	interp.ResolveCommand(name, resolved);
	const char *as = resolved.GetOutput();
	if (resolved.Succeeded() && as && strcmp(as, name) == 0)
		return Holder::other;
	return Holder::none;
}

// Registers clrsos's commands: `clrsos`, `sos`, each command's name and
// SOS's names for it (its aliases), each a top-level lldb command unless
// lldb or another plugin holds that name. When SOS's own plugin is loaded
// (another plugin holds `sos`), SOS keeps `sos` and every one of its names,
// registered or not, so that SOS works as it does alone; clrsos's commands
// are then `clrsos <command>` and the names SOS does not have. Names taken
// that way are said once, on the debugger's error stream. (A plugin loaded
// after clrsos takes over the names it registers: lldb lets it.)
void register_commands(lldb::SBDebugger &debugger)
{
	lldb::SBCommandInterpreter interp = debugger.GetCommandInterpreter();
	std::string list;
	clrsos_writer writer = {append_to_string, &list};
	clrsos_command_write_list(&writer);
	interp.AddCommand("clrsos", new Dispatch(),
			  "clrsos: .NET heap commands (dumpheap, dumpobj, gcroot ...) without hosting a runtime",
			  list.c_str());
	Holder sos = holder_of(interp, "sos");
	bool sos_loaded = sos == Holder::other;
	if (sos == Holder::none)
		interp.AddCommand("sos", new Dispatch(),
				  "clrsos's commands under SOS's prefix: sos <command> is clrsos <command>",
				  list.c_str());
	std::string others; // names another plugin holds
	for (size_t i = 0; i < clrsos_command_count; i++) {
		const clrsos_command *c = &clrsos_commands[i];
		// An SOS command (one SOS has names for) stays SOS's when SOS is loaded.
		if (sos_loaded && c->aliases)
			continue;
		if (c->prefixed_only)
			continue; // clrsos <name> and sos <name> only
		std::string alias_help = std::string(c->help) + " (SOS's name for " + c->name + ")";
		for (size_t k = 0;; k++) {
			const char *name = k == 0 ? c->name : c->aliases ? c->aliases[k - 1] : nullptr;
			if (!name)
				break;
			Holder h = holder_of(interp, name);
			if (h == Holder::other)
				others += std::string(others.empty() ? "" : ", ") + name;
			if (h != Holder::none)
				continue;
			// lldb takes ownership of each adapter (one per registration).
			interp.AddCommand(name, new Command(c), k == 0 ? c->help : alias_help.c_str(), c->syntax);
		}
	}
	FILE *err = debugger.GetErrorFileHandle();
	if (!err || (!sos_loaded && others.empty()))
		return;
	std::string line = "clrsos: ";
	if (sos_loaded)
		line += "SOS's plugin is loaded: sos and SOS's command names stay SOS's";
	if (!others.empty())
		line += std::string(sos_loaded ? "; " : "") + "another plugin holds " + others;
	line += ": run clrsos's commands as 'clrsos <command>' ('clrsos help' lists them)\n";
	fputs(line.c_str(), err);
	fflush(err);
}

} // namespace
} // namespace clrsos

// Marks a copy of clrsos among the process's loaded libraries.
extern "C" __attribute__((visibility("default"))) const char clrsos_plugin_copy = 0;

namespace {
// Whether another loaded library (another path) is a copy of clrsos.
int find_other_copy(struct dl_phdr_info *info, size_t, void *data)
{
	auto *found = static_cast<bool *>(data);
	if (!info->dlpi_name || !info->dlpi_name[0])
		return 0;
	void *handle = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!handle)
		return 0;
	const void *marker = dlsym(handle, "clrsos_plugin_copy");
	if (marker && marker != &clrsos_plugin_copy)
		*found = true;
	dlclose(handle);
	return *found ? 1 : 0;
}
} // namespace

// The lldb SB functions this library calls (generated at build time by
// cmake/SbSymbols.cmake from the plugin's objects), null-terminated.
extern "C" const char *const clrsos_sb_symbols[];

namespace {
// The oldest lldb whose SB API clrsos is built against and tested with.
constexpr int oldest_lldb = 14;

// Why the plugin does not load, on the debugger's standard error (no SB call:
// they may be what is missing).
__attribute__((format(printf, 1, 2))) void refuse(const char *format, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, format);
	vsnprintf(line, sizeof line, format, ap);
	va_end(ap);
	fprintf(stderr, "clrsos: %s; the plugin is not loaded\n", line);
	fflush(stderr);
}

std::string demangled(const char *symbol)
{
	int status = 0;
	char *name = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
	std::string text = name ? name : symbol;
	free(name);
	return text;
}

// Whether every SB function clrsos calls resolves, in the global scope its
// references bind to, to the liblldb that loads it (caller). A liblldb loaded
// privately (RTLD_LOCAL: Python's `import lldb` loads it so) is made global
// first. On failure, says why (refuse) and returns false.
bool sb_api_usable(void *caller)
{
	Dl_info info = {};
	void *lldb_handle = nullptr;
	if (caller && dladdr(caller, &info) && info.dli_fname) {
		lldb_handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
		if (lldb_handle && !dlsym(RTLD_DEFAULT, clrsos_sb_symbols[0])) {
			dlclose(lldb_handle);
			lldb_handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_GLOBAL);
		}
	}
	bool ok = true;
	for (const char *const *s = clrsos_sb_symbols; *s && ok; s++) {
		void *global = dlsym(RTLD_DEFAULT, *s);
		void *own = lldb_handle ? dlsym(lldb_handle, *s) : global;
		if (!global || !own) {
			refuse("this lldb lacks %s, which clrsos needs (clrsos supports lldb %d and later)",
			       demangled(*s).c_str(), oldest_lldb);
			ok = false;
		} else if (global != own) {
			refuse("two copies of liblldb are loaded in this process (%s and another); "
			       "clrsos would call the wrong one",
			       info.dli_fname);
			ok = false;
		}
	}
	if (lldb_handle)
		dlclose(lldb_handle);
	return ok;
}

// The running lldb's major version, from "lldb version 19.1.7 ...", or -1.
int lldb_major_version()
{
	const char *text = lldb::SBDebugger::GetVersionString();
	const char *at = text ? strstr(text, "lldb version ") : nullptr;
	if (!at)
		return -1;
	return atoi(at + strlen("lldb version "));
}
} // namespace

namespace lldb {
__attribute__((visibility("default"))) bool PluginInitialize(lldb::SBDebugger debugger);
}

bool lldb::PluginInitialize(lldb::SBDebugger debugger)
{
	// Nothing of the SB API is called before it is known to be there (lldb
	// binds this library's calls lazily: a missing one would end lldb).
	if (!sb_api_usable(__builtin_return_address(0)))
		return false;
	int major = lldb_major_version();
	if (major >= 0 && major < oldest_lldb) {
		refuse("lldb %d is older than lldb %d, the oldest lldb clrsos supports: use lldb %d or later",
		       major, oldest_lldb, oldest_lldb);
		return false;
	}
	// Another libclrsos.so (another path) is loaded already: its commands and
	// settings stay; this copy registers nothing and the load fails.
	bool other = false;
	dl_iterate_phdr(find_other_copy, &other);
	if (other)
		return false;
	// The same copy loaded again (lldb keeps no list): once per debugger.
	static std::set<lldb::user_id_t> registered;
	if (!registered.insert(debugger.GetID()).second)
		return true;
	clrsos::seed_settings_from_environment();
	clrsos::register_commands(debugger);
	return true;
}
