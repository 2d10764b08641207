# Finds Apache httpd's headers, module directory and server binary through apxs.
# Sets HTTPD_FOUND, HTTPD_INCLUDE_DIR, HTTPD_MODULES_DIR, HTTPD_SYSCONF_DIR, HTTPD_BINARY and the
# interface target HTTPD::httpd (headers only: modules get the symbols from the server).
find_program(APXS_EXECUTABLE NAMES apxs apxs2 PATHS /usr/bin /usr/sbin)

function(_httpd_apxs_query var key)
  execute_process(COMMAND ${APXS_EXECUTABLE} -q ${key}
                  OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0)
    set(${var} "${out}" PARENT_SCOPE)
  endif()
endfunction()

if(APXS_EXECUTABLE)
  _httpd_apxs_query(HTTPD_INCLUDE_DIR INCLUDEDIR)
  _httpd_apxs_query(HTTPD_MODULES_DIR LIBEXECDIR)
  _httpd_apxs_query(HTTPD_SYSCONF_DIR SYSCONFDIR)
  _httpd_apxs_query(_httpd_sbin SBINDIR)
  _httpd_apxs_query(_httpd_target TARGET)
  find_program(HTTPD_BINARY NAMES ${_httpd_target} apache2 httpd HINTS ${_httpd_sbin})
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(HTTPD
  REQUIRED_VARS APXS_EXECUTABLE HTTPD_INCLUDE_DIR HTTPD_MODULES_DIR HTTPD_BINARY)

if(HTTPD_FOUND AND NOT TARGET HTTPD::httpd)
  add_library(HTTPD::httpd INTERFACE IMPORTED)
  set_target_properties(HTTPD::httpd PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${HTTPD_INCLUDE_DIR}")
endif()
