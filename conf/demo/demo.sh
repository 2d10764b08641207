#!/usr/bin/env bash
# The lpweb demo: sets up (tests/setup.sh), then starts a private httpd on
# 127.0.0.1:8080 with both modules and shows them working.
#   conf/demo/demo.sh          set up, start (or restart) and show
#   conf/demo/demo.sh stop     stop the demo httpd
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/conf/private-httpd.sh"
build=${LPWEB_BUILD_DIR:-$root/build}
demo=$build/demo
port=${LPWEB_DEMO_PORT:-8080}
httpd=$(apxs -q SBINDIR 2>/dev/null || echo /usr/sbin)/apache2

stop() {
  if [ -f "$demo/run/httpd.pid" ]; then
    "$httpd" -f "$demo/httpd.conf" -k stop 2>/dev/null || true
    for _ in $(seq 100); do [ -f "$demo/run/httpd.pid" ] || break; sleep 0.1; done
  fi
}

if [ "${1:-}" = stop ]; then
  stop
  echo "lpweb demo stopped"
  exit 0
fi

"$root/tests/setup.sh"
stop
rm -rf "$demo"
mkdir -p "$demo/run" "$demo/logs" "$demo/htdocs" "$demo/store" "$demo/incoming"
chmod 755 "$build" "$demo" "$demo/htdocs" "$demo/store" "$demo/incoming"
# The drop directory's watcher runs as a dedicated user who owns the store: as
# root, the lpicing system user (tests/setup.sh makes it); otherwise httpd runs
# as you, and so does the watcher.
deploy_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  deploy_user=lpicing
  chown lpicing: "$demo/store" "$demo/incoming"
fi
rev=demo-$(date -u +%Y%m%d%H%M%S)
cat > "$demo/htdocs/index.html" <<HTML
<!doctype html><title>bugs</title>
<link rel="stylesheet" href="/+icing/rev$rev/css/style.css">
<h1><img src="/+icing/rev$rev/img/logo.svg" alt=""> bugs.localhost</h1>
<p>This is production. <span data-icing-revision="$rev"></span></p>
<script src="/+icing/rev$rev/js/app.js"></script>
HTML
modules=$(apxs -q LIBEXECDIR)

{ private_httpd_head "$demo" "$port" "$demo/run" "$demo/logs/error.log"; cat <<CONF
LoadModule dir_module $modules/mod_dir.so
LoadModule lpedge_module $build/mod_lpedge/mod_lpedge.so
LoadModule lpicing_module $build/mod_lpicing/mod_lpicing.so
TypesConfig /etc/mime.types
LogFormat "%h \"%r\" %>s %{Location}o edge=%{LPEDGE_REDIRECTED}e" demo
CustomLog "$demo/logs/access.log" demo
EnableSendfile On

<VirtualHost 127.0.0.1:$port>
    ServerName bugs.localhost
    ServerAlias *.localhost localhost
    DocumentRoot "$demo/htdocs"
    <Directory "$demo/htdocs">
        Require all granted
    </Directory>
    LPEdgeRedirect edge.localhost localhost:$port
    LPEdgeExempt /lpedge-status
    <Location /lpedge-status>
        SetHandler lpedge-status
    </Location>
    <Location /lpicing-status>
        SetHandler lpicing-status
    </Location>
</VirtualHost>

LPIcingStore "$demo/store"
LPIcingIncoming "$demo/incoming"
LPIcingUser $deploy_user
LPIcingTool $build/mod_lpicing/lpicing
CONF
} > "$demo/httpd.conf"

"$httpd" -f "$demo/httpd.conf" -k start
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done

show() {
  echo
  echo "\$ curl -si $*"
  curl -si --resolve "bugs.localhost:$port:127.0.0.1" --resolve "bugs.edge.localhost:$port:127.0.0.1" "$@" |
    tr -d '\r' | sed -n '1p;/^[Ll]ocation:/p;/^[Cc]ontent-[Tt]ype:/p;/^[Cc]ontent-[Ee]ncoding:/p;/^[Cc]ache-[Cc]ontrol:/p;/^[Ee][Tt]ag:/p;/^$/,$p' | head -n 12
}
# Publish the sample icing the way ops would: pack, then drop it (copy as
# .part, rename) and let httpd's watcher deploy it.
"$build/mod_lpicing/lpicing" pack "$root/conf/demo/assets" -r "$rev" -o "$demo/$rev.tar.gz"
cp "$demo/$rev.tar.gz" "$demo/incoming/$rev.tar.gz.part"
mv "$demo/incoming/$rev.tar.gz.part" "$demo/incoming/$rev.tar.gz"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/+icing/rev$rev/css/style.css")" = 200 ] && break
  sleep 0.1
done

echo "lpweb demo: httpd on 127.0.0.1:$port (config $demo/httpd.conf, logs $demo/logs)"
show "http://bugs.edge.localhost:$port/a%2Fb?x=1"
show -X POST -d 'title=x' "http://bugs.edge.localhost:$port/api/1.0/bugs?ws.op=new"
show "http://bugs.localhost:$port/"
show "http://bugs.localhost:$port/lpedge-status"
show -H 'Accept-Encoding: br, gzip' "http://bugs.localhost:$port/+icing/rev$rev/css/style.css" -o /dev/null -D -
show "http://bugs.localhost:$port/+icing/revnope/css/style.css"
show "http://bugs.localhost:$port/lpicing-status"
echo
echo "Stop it with: $0 stop"
