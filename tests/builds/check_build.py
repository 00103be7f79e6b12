"""A user's or a distribution's build of libclrsos.so: no warning, no error.

    check_build.py <compiler> <configuration>
      compiler:       gcc | clang   (gcc/g++, or clang-14/clang++-14)
      configuration:  Release | RelWithDebInfo | Debug | MinSizeRel
                      | debian  (Debian's flags: dpkg-buildflags with
                        hardening=+all, CMAKE_BUILD_TYPE=None, as
                        debhelper builds a package)

Configures the source tree into a fresh scratch directory with that
compiler and configuration, only core/ and the plugin (no tests, no C#
targets), with -Werror (CLRSOS_WERROR=ON), builds it, and fails on any
error and on any line of the build that says "warning:" (the linker's too,
which -Werror does not stop). For the Debian build it also checks that the
flags reached the plugin: full RELRO, immediate binding and fortified libc
calls, which lintian's hardening checks look for.

Environment (set by tests/builds/CMakeLists.txt):
  CLRSOS_SOURCE_DIR   the source tree
  CLRSOS_CMAKE        the cmake program
Exit 77 (skipped) when the compiler or dpkg-buildflags is missing.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
COMPILERS = {"gcc": ("gcc", "g++"), "clang": ("clang-14", "clang++-14")}
CONFIGS = ("Release", "RelWithDebInfo", "Debug", "MinSizeRel", "debian")


def debian_flags():
    env = dict(os.environ, DEB_BUILD_MAINT_OPTIONS="hardening=+all")
    env.pop("DEB_CFLAGS_APPEND", None)

    def get(name):
        return subprocess.run(["dpkg-buildflags", "--get", name], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
    # CMake ignores CPPFLAGS: debhelper adds them to CFLAGS and CXXFLAGS.
    cppflags = get("CPPFLAGS")
    return {"CFLAGS": (get("CFLAGS") + " " + cppflags).strip(),
            "CXXFLAGS": (get("CXXFLAGS") + " " + cppflags).strip(),
            "LDFLAGS": get("LDFLAGS")}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in COMPILERS or sys.argv[2] not in CONFIGS:
        sys.exit("usage: check_build.py {%s} {%s}" % ("|".join(COMPILERS), "|".join(CONFIGS)))
    compiler, config = sys.argv[1], sys.argv[2]
    cc, cxx = COMPILERS[compiler]
    for tool in (cc, cxx) + (("dpkg-buildflags",) if config == "debian" else ()):
        if shutil.which(tool) is None:
            print("SKIP: %s not found" % tool)
            sys.exit(SKIP)
    source = os.environ["CLRSOS_SOURCE_DIR"]
    cmake = os.environ.get("CLRSOS_CMAKE") or "cmake"

    env = dict(os.environ, CC=cc, CXX=cxx)
    for name in ("CFLAGS", "CXXFLAGS", "LDFLAGS", "CPPFLAGS"):
        env.pop(name, None)
    build_type = config
    if config == "debian":
        flags = debian_flags()
        print("Debian flags: %s" % flags, flush=True)
        env.update(flags)
        build_type = "None"

    scratch = tempfile.mkdtemp(prefix="clrsos-build-%s-%s-" % (compiler, config))
    failures = []
    try:
        build = os.path.join(scratch, "build")
        steps = [
            [cmake, "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=" + build_type,
             "-DCLRSOS_WERROR=ON", "-DCLRSOS_BUILD_TESTS=OFF", "-DCLRSOS_BUILD_TARGETS=OFF"],
            [cmake, "--build", build, "-j2", "--", "VERBOSE=1"],
        ]
        log = ""
        for step in steps:
            r = subprocess.run(step, env=env, capture_output=True, text=True)
            log += r.stdout + r.stderr
            if r.returncode != 0:
                print(log)
                failures.append("%s failed (%d)" % (" ".join(step), r.returncode))
                break
        warnings = [line for line in log.splitlines() if re.search(r"\bwarning\b", line, re.I)]
        for line in warnings:
            print("  " + line)
        if warnings:
            failures.append("%d warning line(s) in the build" % len(warnings))
        plugin = os.path.join(build, "libclrsos.so")
        if not failures:
            if not os.path.isfile(plugin):
                failures.append("no libclrsos.so in " + build)
            # The flags were those asked for: the compiler command lines say so.
            compiles = [line for line in log.splitlines()
                        if re.search(r"\s-c\s", line) and "plugin.cpp" in line]
            if not compiles:
                failures.append("no compile line of plugin.cpp in the verbose log")
            elif config == "debian" and "-fstack-protector-strong" not in compiles[0]:
                failures.append("the Debian CXXFLAGS did not reach the compiler: " + compiles[0])
            elif config != "debian" and os.path.basename(cxx) not in compiles[0]:
                failures.append("not compiled with %s: %s" % (cxx, compiles[0]))
        if not failures and config == "debian":
            dynamic = subprocess.run(["readelf", "-d", "-W", plugin], capture_output=True,
                                     text=True).stdout
            segments = subprocess.run(["readelf", "-l", "-W", plugin], capture_output=True,
                                      text=True).stdout
            symbols = subprocess.run(["readelf", "--dyn-syms", "-W", plugin],
                                     capture_output=True, text=True).stdout
            if "GNU_RELRO" not in segments:
                failures.append("no GNU_RELRO segment (-z relro did not apply)")
            # Not bound now, on purpose: lldb's SB API is bound lazily so that
            # the plugin can check the running lldb has it before any call
            # (CMakeLists.txt: -z lazy after the distribution's -z now).
            if re.search(r"\(FLAGS(_1)?\).*\bNOW\b|\(BIND_NOW\)", dynamic):
                failures.append("BIND_NOW: -z now overrode the plugin's -z lazy")
            if not re.search(r"__\w+_chk@", symbols):
                failures.append("no fortified libc call (_FORTIFY_SOURCE did not apply)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    if failures:
        sys.exit(1)
    print("%s %s: built without a warning" % (compiler, config))


if __name__ == "__main__":
    main()
