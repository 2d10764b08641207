# The Debian package: `cpack -G DEB` (or `make package`) in a build tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr writes lpweb_<version>_<arch>.deb holding exactly what
# `cmake --install` installs: both modules in `apxs -q LIBEXECDIR`, lpicing in /usr/bin,
# lpedge.{load,conf} and lpicing.{load,conf} in /etc/apache2/mods-available (conffiles).
# The postinst makes the drop directory's deploy user (lpicing) and /var/lib/lpicing/
# {store,incoming}; enabling the modules is the operator's `a2enmod lpedge lpicing`. The
# postrm disables them again on remove/purge, so httpd still starts once the .so files
# are gone (what Debian's own module packages do, through apache2-maintscript-helper).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lpweb)
set(CPACK_PACKAGE_VENDOR lpweb)
set(CPACK_PACKAGE_CONTACT "lpweb maintainers <lpweb@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Apache httpd modules mod_lpedge (edge-host redirects) and mod_lpicing (versioned asset bundles)")
set(CPACK_PACKAGE_DESCRIPTION
  "mod_lpedge redirects a retired edge host family to the identical production URL, byte for byte.
mod_lpicing serves versioned static asset bundles from a revision store, swapped in atomically
when a bundle is dropped into a watched directory. The lpicing tool packs, verifies, deploys,
lists, activates and prunes bundles. Enable with: a2enmod lpedge lpicing")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps; the modules' ABI dependency on httpd
# (provided by apache2-bin) cannot be seen in the .so files, so it is named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "apache2-api-20120211, adduser")
# a2enmod, apache2ctl and the /etc/apache2 layout the conffiles live in come with apache2.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "apache2")

# dpkg keeps the operator's edits of these on upgrade, and removes them on purge only.
set(_lpweb_conffiles "")
foreach(_f lpedge.load lpedge.conf lpicing.load lpicing.conf)
  string(APPEND _lpweb_conffiles "${HTTPD_SYSCONF_DIR}/mods-available/${_f}\n")
endforeach()
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/deb/conffiles" "${_lpweb_conffiles}")
file(COPY "${CMAKE_CURRENT_LIST_DIR}/deb/postinst" "${CMAKE_CURRENT_LIST_DIR}/deb/postrm" DESTINATION "${CMAKE_CURRENT_BINARY_DIR}/deb"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_CURRENT_BINARY_DIR}/deb/conffiles;${CMAKE_CURRENT_BINARY_DIR}/deb/postinst;${CMAKE_CURRENT_BINARY_DIR}/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# mod_lpicing has the lpicing path compiled in (LPIcingTool's default), so a package
# whose files are not where the build expects them would be wrong: refuse it.
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_CURRENT_BINARY_DIR}/deb/CPackProjectConfig.cmake")
file(WRITE "${CPACK_PROJECT_CONFIG_FILE}" "
if(CPACK_GENERATOR STREQUAL \"DEB\" AND NOT \"${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
  message(FATAL_ERROR \"lpweb: the .deb needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr (this one has ${CMAKE_INSTALL_PREFIX})\")
endif()
")
include(CPack)
