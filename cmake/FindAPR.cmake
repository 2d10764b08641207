# Finds APR and APR-util through pkg-config (apr-1, apr-util-1).
# Provides APR::headers: APR's and APR-util's headers and compile flags, no
# libraries (an httpd module gets APR's symbols from the server).
find_package(PkgConfig REQUIRED)
pkg_check_modules(APR_PC QUIET IMPORTED_TARGET apr-1)
pkg_check_modules(APRUTIL_PC QUIET IMPORTED_TARGET apr-util-1)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(APR REQUIRED_VARS APR_PC_FOUND APRUTIL_PC_FOUND)

if(APR_FOUND AND NOT TARGET APR::headers)
  add_library(APR::headers INTERFACE IMPORTED)
  set_target_properties(APR::headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${APR_PC_INCLUDE_DIRS};${APRUTIL_PC_INCLUDE_DIRS}"
    INTERFACE_COMPILE_OPTIONS "${APR_PC_CFLAGS_OTHER}")
endif()
