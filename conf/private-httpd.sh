# Sourced by the demo and the benchmarks: the head of a private httpd's
# config on loopback, and a free port for it. Not for a real server.

# private_httpd_head SERVER-ROOT PORT RUN-DIR ERROR-LOG
# Prints ServerRoot, Listen, the pid, log and runtime paths, the event MPM and
# the modules every private instance loads (authz_core, mime); as root, the
# children run as www-data, as Debian's apache2 does.
private_httpd_head() {
  local modules
  modules=$(apxs -q LIBEXECDIR)
  cat <<CONF
ServerRoot "$1"
Listen 127.0.0.1:$2
PidFile "$3/httpd.pid"
ErrorLog "$4"
LogLevel warn
DefaultRuntimeDir "$3"
Mutex file:$3 default
ServerName localhost
CONF
  [ "$(id -u)" -eq 0 ] && printf 'User www-data\nGroup www-data\n'
  cat <<CONF
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule mime_module $modules/mod_mime.so
CONF
}

# A loopback TCP port nothing listens on now (a race remains: callers retry).
free_port() {
  local p
  while :; do
    p=$(( (RANDOM % 20000) + 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
