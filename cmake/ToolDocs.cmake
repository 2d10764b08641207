# The lpicing tool's man page and bash completion, so that a plain `cmake --install`
# (and the Debian package, which installs from it) gets both:
#   share/man/man1/lpicing.1                     help2man over the built tool's --help
#   share/bash-completion/completions/lpicing    conf/lpicing.bash-completion
# LPWEB_MAN_PAGE: AUTO makes the page when help2man is found, ON requires help2man
# (debian/rules passes it: the package must not silently lose its page), OFF skips it.
# AUTO also skips sanitizer and fuzz builds, whose tool is not one to document from.
set(LPWEB_MAN_PAGE AUTO CACHE STRING "Generate lpicing.1 with help2man (AUTO, ON, OFF)")
set_property(CACHE LPWEB_MAN_PAGE PROPERTY STRINGS AUTO ON OFF)

if(TARGET lpicing)
  install(FILES "${PROJECT_SOURCE_DIR}/conf/lpicing.bash-completion"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
          RENAME lpicing)

  set(_lpweb_man OFF)
  if(LPWEB_MAN_PAGE STREQUAL "ON")
    find_program(HELP2MAN_EXECUTABLE help2man REQUIRED)
    set(_lpweb_man ON)
  elseif(LPWEB_MAN_PAGE STREQUAL "AUTO" AND NOT LPWEB_SANITIZE AND NOT LPWEB_FUZZ
         AND NOT CMAKE_CROSSCOMPILING)
    find_program(HELP2MAN_EXECUTABLE help2man)
    if(HELP2MAN_EXECUTABLE)
      set(_lpweb_man ON)
    else()
      message(STATUS "help2man not found: no lpicing.1 (-DLPWEB_MAN_PAGE=ON to require it)")
    endif()
  elseif(NOT LPWEB_MAN_PAGE MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "LPWEB_MAN_PAGE must be AUTO, ON or OFF, not '${LPWEB_MAN_PAGE}'")
  endif()

  if(_lpweb_man)
    # help2man dates the page from SOURCE_DATE_EPOCH (reproducible builds); the value
    # seen at configure time is kept, one set at build time is inherited anyway.
    set(_lpweb_env "")
    if(DEFINED ENV{SOURCE_DATE_EPOCH})
      set(_lpweb_env ${CMAKE_COMMAND} -E env "SOURCE_DATE_EPOCH=$ENV{SOURCE_DATE_EPOCH}")
    endif()
    # `lpicing help --all` is the global help plus every verb's (a subsection
    # each), so the page holds every option and exit status and cannot drift
    # from the tool. --version-string: the project's version, as --version says.
    add_custom_command(
      OUTPUT "${PROJECT_BINARY_DIR}/lpicing.1"
      COMMAND ${_lpweb_env} "${HELP2MAN_EXECUTABLE}" --no-info
              "--version-string=${PROJECT_VERSION}" "--help-option=help --all"
              "--name=pack, verify and deploy mod_lpicing asset bundles"
              -o "${PROJECT_BINARY_DIR}/lpicing.1" "$<TARGET_FILE:lpicing>"
      DEPENDS lpicing
      COMMENT "Generating lpicing.1 (help2man)"
      VERBATIM)
    add_custom_target(lpicing_man ALL DEPENDS "${PROJECT_BINARY_DIR}/lpicing.1")
    install(FILES "${PROJECT_BINARY_DIR}/lpicing.1" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
  endif()
endif()
