# Finds APR and APR-util through pkg-config (apr-1, apr-util-1).
# Provides APR::apr (with its compile definitions) and APR::aprutil.
find_package(PkgConfig REQUIRED)
pkg_check_modules(APR_PC QUIET IMPORTED_TARGET apr-1)
pkg_check_modules(APRUTIL_PC QUIET IMPORTED_TARGET apr-util-1)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(APR REQUIRED_VARS APR_PC_FOUND APRUTIL_PC_FOUND)

if(APR_FOUND AND NOT TARGET APR::apr)
  add_library(APR::apr INTERFACE IMPORTED)
  target_link_libraries(APR::apr INTERFACE PkgConfig::APR_PC)
  add_library(APR::aprutil INTERFACE IMPORTED)
  target_link_libraries(APR::aprutil INTERFACE PkgConfig::APRUTIL_PC APR::apr)
endif()
