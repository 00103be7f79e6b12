# Install rules and the Debian package (CPack), included at the end of the
# top-level CMakeLists.txt.
#
#   cmake --install build --prefix <prefix>   -> <prefix>/lib/clrsos/libclrsos.so,
#                                                <prefix>/bin/clrsos (the tool, tool/)
#   cpack --config build/CPackConfig.cmake     -> build/clrsos_<version>-<revision>_<arch>.deb
#   (or: cmake --build build --target package)
#
# The plugin goes to lib/clrsos/, a private directory that lldb does not
# scan, and users load it with `plugin load` (by hand or in ~/.lldbinit).
# It is deliberately not installed into lldb's system plugin directory
# (/usr/lib/lldb/plugins for Debian's lldb 14, which loads every .so there,
# recursively, into every debugger it creates):
#  - that path is fixed in lldb's source, not versioned: every lldb
#    installed would load it, into every session;
#  - a plugin loaded there and again by `plugin load` from another path is
#    a second copy whose commands replace the first's, so a setclrpath made
#    in between is silently forgotten;
#  - clrsos's top-level commands (dumpheap, pe, dso ...) would appear in
#    every session, also for users who did not ask for them.
# See docs/install.md.

set(CLRSOS_INSTALL_DIR "lib/clrsos" CACHE STRING
  "Where libclrsos.so is installed, relative to the install prefix")
set(CLRSOS_DOC_DIR "share/doc/clrsos")
set(CLRSOS_PACKAGE_PREFIX /usr)   # the Debian package's
set(CLRSOS_PACKAGE_MAINTAINER
  "clrsos maintainers <maintainers@users.noreply.b-seed-fbd6c479.example>"
  CACHE STRING "Maintainer of the Debian package")

# The manual page, clrsos(7): its command list generated from the table
# the plugin registers its commands from (core/commands/table.c), so that
# it names every command; built with the plugin.
set(CLRSOS_MAN_DIR ${PROJECT_BINARY_DIR}/man)
add_executable(clrsos_gen_manpage ${PROJECT_SOURCE_DIR}/docs/man/gen_manpage.c)
set_target_properties(clrsos_gen_manpage PROPERTIES LINKER_LANGUAGE CXX)
target_compile_options(clrsos_gen_manpage PRIVATE ${CLRSOS_WARNINGS})
target_link_libraries(clrsos_gen_manpage PRIVATE clrsos_core)
find_program(CLRSOS_GZIP gzip REQUIRED)
add_custom_command(OUTPUT ${CLRSOS_MAN_DIR}/clrsos.7 ${CLRSOS_MAN_DIR}/clrsos.7.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CLRSOS_MAN_DIR}
  COMMAND clrsos_gen_manpage ${PROJECT_SOURCE_DIR}/docs/man/clrsos.7.in ${CLRSOS_MAN_DIR}/clrsos.7
    ${PROJECT_VERSION} ${CLRSOS_PACKAGE_PREFIX}/${CLRSOS_INSTALL_DIR}/libclrsos.so
    ${CLRSOS_PACKAGE_PREFIX}/${CLRSOS_DOC_DIR}
  # -n: no name or time stamp in it (reproducible, as Debian asks)
  COMMAND ${CLRSOS_GZIP} -9nf -k ${CLRSOS_MAN_DIR}/clrsos.7
  DEPENDS clrsos_gen_manpage ${PROJECT_SOURCE_DIR}/docs/man/clrsos.7.in
  COMMENT "clrsos(7) from the command table" VERBATIM)
# The Debian changelog, compressed as Debian wants it.
add_custom_command(OUTPUT ${CLRSOS_MAN_DIR}/changelog.Debian.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CLRSOS_MAN_DIR}
  COMMAND ${CLRSOS_GZIP} -9n -c ${PROJECT_SOURCE_DIR}/cmake/debian/changelog > ${CLRSOS_MAN_DIR}/changelog.Debian.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/cmake/debian/changelog)
add_custom_target(clrsos_docs ALL
  DEPENDS ${CLRSOS_MAN_DIR}/clrsos.7.gz ${CLRSOS_MAN_DIR}/changelog.Debian.gz)
add_dependencies(clrsos clrsos_docs)   # `--build --target clrsos` makes them too

# The tool's manual page, clrsos(1): its synopsis and commands generated
# from the built tool, from `clrsos --help` (the command table of
# tool/cli/main.c) and `clrsos <command> --help`, so that it names every
# command and shows each one's options as the tool prints them.
if(TARGET clrsos_tool)
  add_executable(clrsos_gen_toolpage ${PROJECT_SOURCE_DIR}/docs/man/gen_toolpage.c)
  target_compile_definitions(clrsos_gen_toolpage PRIVATE _GNU_SOURCE)
  target_compile_options(clrsos_gen_toolpage PRIVATE ${CLRSOS_WARNINGS})
  add_custom_command(OUTPUT ${CLRSOS_MAN_DIR}/clrsos.1 ${CLRSOS_MAN_DIR}/clrsos.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CLRSOS_MAN_DIR}
    COMMAND clrsos_gen_toolpage ${PROJECT_SOURCE_DIR}/docs/man/clrsos.1.in ${CLRSOS_MAN_DIR}/clrsos.1
      ${PROJECT_VERSION} $<TARGET_FILE:clrsos_tool>
    COMMAND ${CLRSOS_GZIP} -9nf -k ${CLRSOS_MAN_DIR}/clrsos.1
    DEPENDS clrsos_gen_toolpage clrsos_tool ${PROJECT_SOURCE_DIR}/docs/man/clrsos.1.in
    COMMENT "clrsos(1) from clrsos --help" VERBATIM)
  add_custom_target(clrsos_tool_docs ALL DEPENDS ${CLRSOS_MAN_DIR}/clrsos.1.gz)
endif()

# The machine-readable copyright file (DEP-5), from LICENSE: its copyright
# line, and its text indented, an empty line as " .".
file(READ ${PROJECT_SOURCE_DIR}/LICENSE _clrsos_license)
if(NOT _clrsos_license MATCHES "Copyright \\(c\\) ([^\n]+)\n\n(.*)$")
  message(FATAL_ERROR "clrsos: no copyright line in LICENSE")
endif()
set(CLRSOS_COPYRIGHT "${CMAKE_MATCH_1}")
string(STRIP "${CMAKE_MATCH_2}" _clrsos_text)
string(REPLACE "\n\n" "\n.\n" _clrsos_text "${_clrsos_text}")
string(REPLACE "\n" "\n " CLRSOS_LICENSE_TEXT " ${_clrsos_text}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/copyright.in ${CLRSOS_MAN_DIR}/copyright @ONLY)

install(TARGETS clrsos
  LIBRARY DESTINATION ${CLRSOS_INSTALL_DIR}
  COMPONENT plugin)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/install.md
  ${PROJECT_SOURCE_DIR}/docs/commands.md ${CLRSOS_MAN_DIR}/copyright
  ${CLRSOS_MAN_DIR}/changelog.Debian.gz
  DESTINATION ${CLRSOS_DOC_DIR}
  COMPONENT plugin)
install(FILES ${PROJECT_SOURCE_DIR}/.lldbinit.example
  DESTINATION ${CLRSOS_DOC_DIR}
  RENAME lldbinit.example
  COMPONENT plugin)
install(FILES ${CLRSOS_MAN_DIR}/clrsos.7.gz
  DESTINATION share/man/man7
  COMPONENT plugin)
if(TARGET clrsos_tool)
  install(TARGETS clrsos_tool
    RUNTIME DESTINATION bin
    COMPONENT plugin)
  install(FILES ${CLRSOS_MAN_DIR}/clrsos.1.gz
    DESTINATION share/man/man1
    COMPONENT plugin)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/lintian-overrides
  DESTINATION share/lintian/overrides
  RENAME clrsos
  COMPONENT plugin)

# What the package depends on.
#  - A debugger: any lldb the plugin loads in. It links no liblldb (lldb's
#    SB symbols bind to the running lldb's), so one package serves them
#    all: Debian's and Ubuntu's `lldb` (the distribution's default lldb,
#    of epoch 1) from 14 up, or one of the versioned lldb-N packages.
#  - The libraries libclrsos.so links (libjansson4, libunwind8, libre2-9, libstdc++6,
#    libc6 ...) and bin/clrsos links (libc6): computed by dpkg-shlibdeps
#    from the built plugin and tool when cpack runs
#    (cmake/CPackProjectConfig.cmake.in).
#  - Anything more: -DCLRSOS_DEB_EXTRA_DEPENDS=...
set(CLRSOS_DEB_LLDB_VERSIONS 22 21 20 19 18 17 16 15 14 CACHE STRING
  "The lldb-N packages the Debian package accepts, newest first; the last is the oldest supported")
list(GET CLRSOS_DEB_LLDB_VERSIONS -1 _clrsos_lldb_min)
set(_clrsos_lldb "lldb (>= 1:${_clrsos_lldb_min})")
foreach(v IN LISTS CLRSOS_DEB_LLDB_VERSIONS)
  string(APPEND _clrsos_lldb " | lldb-${v}")
endforeach()
set(CLRSOS_DEB_EXTRA_DEPENDS "" CACHE STRING
  "More Depends of the clrsos package, beside lldb and those dpkg-shlibdeps computes")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clrsos)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR clrsos)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "native SOS for lldb: .NET heap analysis in live processes and core dumps")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CLRSOS_PACKAGE_PREFIX})
set(CPACK_STRIP_FILES ON)
# The Debian revision: the package's own version (Debian changelog's top
# entry, cmake/debian/changelog, is <project version>-<revision>).
set(CLRSOS_DEB_REVISION 1 CACHE STRING "Debian revision of the package")
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CLRSOS_DEB_REVISION})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # clrsos_<version>-<revision>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CLRSOS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary above it.
set(CPACK_PACKAGE_DESCRIPTION
  "libclrsos.so is an lldb plugin that reads a .NET process or core dump
through the runtime's own DAC and shows its GC heap (eeheap, dumpheap,
dumpobj, gcroot, string and thread commands) without hosting a .NET runtime
inside the debugger. Load it with:
  plugin load ${CPACK_PACKAGING_INSTALL_PREFIX}/${CLRSOS_INSTALL_DIR}/libclrsos.so
The commands: clrsos(7).

The clrsos program works on live processes from the command line: it
speaks the diagnostics IPC of the .NET runtime itself, without .NET, to
list the processes this user can diagnose, show or record their counters,
have one write a dump of itself, at once or when a counter passes a
threshold, and chart a recording: clrsos(1).")
# Earlier builds of this package were named libclrsos (same plugin path).
set(CPACK_DEBIAN_PACKAGE_CONFLICTS libclrsos)
set(CPACK_DEBIAN_PACKAGE_REPLACES libclrsos)
# No CPack dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS): with it CPack
# also adds postinst/postrm scripts that run ldconfig, for any .so under
# /usr/lib; a plugin lldb loads by path needs none, and lintian rejects
# them (maintscript-calls-ldconfig). The project config below runs
# dpkg-shlibdeps itself.
set(CLRSOS_DEB_LLDB_DEPENDS "${_clrsos_lldb}")
if(TARGET clrsos_tool)
  set(CLRSOS_DEB_TOOL "$<TARGET_FILE:clrsos_tool>")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/CPackProjectConfig.cmake.in
  ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake.gen @ONLY)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake
  INPUT ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake.gen)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake)

include(CPack)

if(CLRSOS_BUILD_TESTS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/package ${PROJECT_BINARY_DIR}/tests/package)
endif()
