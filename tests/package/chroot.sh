# Sourced by tests/package/build-deb.sh and test-deb.sh: a throwaway Debian 12 root
# unpacked from rootfs.sh's tarball, commands run in it, an apt package cache kept
# between runs, and a cleanup that leaves no mount and no process of ours behind.

# chroot_make DIR TARBALL: unpack a fresh root into DIR (an absolute path without
# symlinks: chroot_cleanup finds the root's processes by it) and mount its /proc.
# DIR is a tmpfs of its own: dpkg unpacking hundreds of packages and the rm of the
# root afterwards were most of the time on a busy disk. Not with
# $LPWEB_KEEP_TEST_DIRS (a kept root must outlive its mount) or LPWEB_PACKAGE_TMPFS=0;
# if the mount fails, the root is on disk.
chroot_make() {
  local dir=$1 tarball=$2
  mkdir -p "$dir"
  if [ "${LPWEB_PACKAGE_TMPFS:-1}" != 0 ] && [ -z "${LPWEB_KEEP_TEST_DIRS:-}" ]; then
    mount -t tmpfs -o size=8g,mode=755 lpweb-root "$dir" 2>/dev/null ||
      echo "chroot: no tmpfs for $dir, the root stays on disk" >&2
  fi
  tar -C "$dir" -xf "$tarball"
  # Maintainer scripts need not rebuild man-db's index (man finds pages without it).
  echo 'man-db man-db/auto-update boolean false' |
    chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin debconf-set-selections
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # Packages must not start services in the chroot (apache2's postinst would).
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  # dpkg fsyncs every file it unpacks; this throwaway root needs none of that.
  echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/lpweb-test-unsafe-io"
  mount -t proc proc "$dir/proc"
}

# chroot_cleanup DIR: kill whatever still runs inside DIR (only this script's
# children can run there), unmount its /proc and its tmpfs (which frees the root).
# Never fails.
chroot_cleanup() {
  local dir=$1 p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  if mountpoint -q "$dir/proc" 2>/dev/null; then umount -l "$dir/proc" || true; fi
  if mountpoint -q "$dir" 2>/dev/null; then umount -l "$dir" || true; fi
  true
}

# chroot_run DIR CMD...: CMD as root in DIR, with a clean environment.
chroot_run() {
  local dir=$1; shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# chroot_cache_load DIR CACHE / chroot_cache_save DIR CACHE: apt's downloaded
# packages, kept in CACHE between runs (apt checks them against the index, so a
# stale one is simply downloaded again; autoclean drops what the archive lost).
chroot_cache_load() {
  mkdir -p "$2"
  cp "$2"/*.deb "$1/var/cache/apt/archives/" 2>/dev/null || true
}
chroot_cache_save() {
  chroot_run "$1" apt-get -q autoclean >/dev/null 2>&1 || true
  rm -f "$2"/*.deb
  cp "$1"/var/cache/apt/archives/*.deb "$2/" 2>/dev/null || true
}
