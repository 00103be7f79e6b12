# The build check on libclrsos.so's undefined symbols (it links no liblldb,
# so the linker's --no-undefined cannot be used): every symbol it leaves
# undefined is either
#  - an lldb SB API symbol that the liblldb it was built against (LLDB) defines
#    (bound at load time to whichever liblldb runs it), or
#  - defined by one of the libraries it declares (DT_NEEDED).
# Weak undefined symbols are allowed. It must bind lazily (no BIND_NOW),
# so that it can check the running lldb before it calls into it.
#
#   cmake -DNM=<nm> -DREADELF=<readelf> -DCC=<compiler> -DLLDB=<liblldb>
#         -DPLUGIN=<libclrsos.so> -P CheckUndefined.cmake

function(defined_symbols library out)
  execute_process(COMMAND ${NM} -D --defined-only --format=posix ${library}
    OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "clrsos: cannot list the symbols of ${library}")
  endif()
  # One name per line, without symbol versions, each between newlines.
  string(REGEX REPLACE "@[^ \n]*" "" listing "${listing}")
  string(REGEX REPLACE " [^\n]*" "" listing "${listing}")
  set(${out} "\n${listing}\n" PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${NM} -D --undefined-only --format=posix ${PLUGIN}
  OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clrsos: cannot list the undefined symbols of ${PLUGIN}")
endif()
execute_process(COMMAND ${READELF} -d ${PLUGIN} OUTPUT_VARIABLE dynamic)
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dynamic}")

if(dynamic MATCHES "BIND_NOW" OR dynamic MATCHES "Flags: [^\n]*NOW")
  file(REMOVE ${PLUGIN})
  message(FATAL_ERROR "clrsos: ${PLUGIN} is linked to bind now; lldb's SB API must be bound lazily (-z lazy)")
endif()
defined_symbols(${LLDB} lldb_defined)
set(libraries_defined "")
foreach(entry IN LISTS needed)
  string(REGEX REPLACE "Shared library: \\[([^]]+)\\]" "\\1" name "${entry}")
  if(name MATCHES "^liblldb")
    file(REMOVE ${PLUGIN})
    message(FATAL_ERROR "clrsos: ${PLUGIN} links ${name}; it must not link any liblldb")
  endif()
  execute_process(COMMAND ${CC} -print-file-name=${name}
    OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${path}" OR NOT EXISTS "${path}")
    message(FATAL_ERROR "clrsos: cannot find ${name}, which ${PLUGIN} needs")
  endif()
  defined_symbols(${path} d)
  string(APPEND libraries_defined "${d}")
endforeach()

string(REPLACE "\n" ";" lines "${undefined}")
set(bad "")
set(sb 0)
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^([^ ]+) ([A-Za-z])")
    continue()
  endif()
  set(symbol "${CMAKE_MATCH_1}")
  set(kind "${CMAKE_MATCH_2}")
  if(kind STREQUAL "w" OR kind STREQUAL "v")
    continue()
  endif()
  string(REGEX REPLACE "@.*" "" symbol "${symbol}")
  if(symbol MATCHES "^_ZN?K?4lldb" OR symbol MATCHES "^_ZTIN4lldb")
    string(FIND "${lldb_defined}" "\n${symbol}\n" at)
    if(at EQUAL -1)
      list(APPEND bad "${symbol} (lldb, not in ${LLDB})")
    endif()
    math(EXPR sb "${sb} + 1")
    continue()
  endif()
  string(FIND "${libraries_defined}" "\n${symbol}\n" at)
  if(at EQUAL -1)
    list(APPEND bad "${symbol}")
  endif()
endforeach()
if(bad)
  string(REPLACE ";" "\n  " bad "${bad}")
  file(REMOVE ${PLUGIN})  # so that the next build checks again
  message(FATAL_ERROR "clrsos: ${PLUGIN} leaves symbols undefined that neither lldb's SB API nor its libraries define:\n  ${bad}")
endif()
