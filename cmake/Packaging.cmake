# Install rules and the Debian package (CPack), included at the end of the
# top-level CMakeLists.txt.
#
#   cmake --install build --prefix <prefix>   -> <prefix>/lib/clrsos/libclrsos.so
#   cpack --config build/CPackConfig.cmake     -> build/libclrsos_<version>_<arch>.deb
#   (or: cmake --build build --target package)
#
# The plugin goes to lib/clrsos/, a private directory that lldb does not
# scan, and users load it with `plugin load` (by hand or in ~/.lldbinit).
# It is deliberately not installed into lldb's system plugin directory
# (/usr/lib/lldb/plugins for Debian's lldb 14, which loads every .so there,
# recursively, into every debugger it creates):
#  - that path is fixed in lldb's source, not versioned: another lldb
#    version installed beside lldb 14 would load a plugin linked against
#    liblldb-14 too;
#  - a plugin loaded there and again by `plugin load` from another path is
#    a second copy whose commands replace the first's, so a setclrpath made
#    in between is silently forgotten;
#  - clrsos's top-level commands (dumpheap, pe, dso ...) would appear in
#    every session, also for users who did not ask for them.
# See docs/install.md.

set(CLRSOS_INSTALL_DIR "lib/clrsos" CACHE STRING
  "Where libclrsos.so is installed, relative to the install prefix")

install(TARGETS clrsos
  LIBRARY DESTINATION ${CLRSOS_INSTALL_DIR}
  COMPONENT plugin)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/install.md
  DESTINATION share/doc/libclrsos
  COMPONENT plugin)
install(FILES ${PROJECT_SOURCE_DIR}/.lldbinit.example
  DESTINATION share/doc/libclrsos
  RENAME lldbinit.example
  COMPONENT plugin)

# What the package depends on.
#  - The libraries libclrsos.so links against (liblldb-14, libstdc++6, libc6,
#    ...): computed by dpkg-shlibdeps when cpack runs.
#  - The debugger that goes with the liblldb it was built against (lldb-14):
#    its package is looked up here, from the lldb next to the headers found.
# Override with -DCLRSOS_DEB_DEPENDS=... to state them instead.
get_filename_component(_clrsos_llvm_root "${LLDB_INCLUDE_DIR}" DIRECTORY)
set(_clrsos_lldb_package "")
find_program(CLRSOS_DPKG_QUERY dpkg-query)
if(CLRSOS_DPKG_QUERY AND EXISTS "${_clrsos_llvm_root}/bin/lldb")
  execute_process(COMMAND ${CLRSOS_DPKG_QUERY} -S "${_clrsos_llvm_root}/bin/lldb"
    OUTPUT_VARIABLE _clrsos_owner RESULT_VARIABLE _clrsos_rc ERROR_QUIET
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_clrsos_rc EQUAL 0 AND _clrsos_owner MATCHES "^([^:, ]+)(:[a-z0-9]+)?: ")
    set(_clrsos_lldb_package "${CMAKE_MATCH_1}")
  endif()
endif()
if(NOT _clrsos_lldb_package AND _clrsos_llvm_root MATCHES "llvm-([0-9]+)$")
  # Not installed from a package here: Debian's name for that lldb.
  set(_clrsos_lldb_package "lldb-${CMAKE_MATCH_1}")
endif()
# The RE2 runtime (libre2-<soname>) that libclrsos.so links: dpkg-shlibdeps
# finds it too; stated here so that a package built without dpkg-dev has it.
set(_clrsos_depends "${_clrsos_lldb_package}")
if(CLRSOS_DPKG_QUERY AND RE2_LIBRARY)
  get_filename_component(_clrsos_re2_real "${RE2_LIBRARY}" REALPATH)
  execute_process(COMMAND ${CLRSOS_DPKG_QUERY} -S "${_clrsos_re2_real}"
    OUTPUT_VARIABLE _clrsos_owner RESULT_VARIABLE _clrsos_rc ERROR_QUIET
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_clrsos_rc EQUAL 0 AND _clrsos_owner MATCHES "^([^:, ]+)(:[a-z0-9]+)?: ")
    if(_clrsos_depends)
      set(_clrsos_depends "${_clrsos_depends}, ${CMAKE_MATCH_1}")
    else()
      set(_clrsos_depends "${CMAKE_MATCH_1}")
    endif()
  endif()
endif()
set(CLRSOS_DEB_DEPENDS "${_clrsos_depends}" CACHE STRING
  "Depends of the libclrsos package, beside those dpkg-shlibdeps computes")

find_program(CLRSOS_DPKG_SHLIBDEPS dpkg-shlibdeps)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME libclrsos)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR clrsos)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "native SOS for lldb: .NET heap analysis in live processes and core dumps")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# CPack adds postinst/postrm scripts that run ldconfig (for any .so under
# /usr/lib); useless for a plugin lldb dlopens by path, and harmless.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # libclrsos_<version>_<arch>.deb
set(CLRSOS_PACKAGE_MAINTAINER
  "clrsos maintainers <maintainers@users.noreply.b-seed-fbd6c479.example>"
  CACHE STRING "Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CLRSOS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary above it.
set(CPACK_PACKAGE_DESCRIPTION
  "libclrsos.so is an lldb plugin that reads a .NET process or core dump
through the runtime's own DAC and shows its GC heap (eeheap, dumpheap,
dumpobj, gcroot, string and thread commands) without hosting a .NET runtime
inside the debugger. Load it with:
  plugin load ${CPACK_PACKAGING_INSTALL_PREFIX}/${CLRSOS_INSTALL_DIR}/libclrsos.so")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CLRSOS_DEB_DEPENDS}")
if(CLRSOS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "clrsos: dpkg-shlibdeps not found (dpkg-dev); the package states only: ${CLRSOS_DEB_DEPENDS}")
endif()

include(CPack)

if(CLRSOS_BUILD_TESTS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/package ${PROJECT_BINARY_DIR}/tests/package)
endif()
