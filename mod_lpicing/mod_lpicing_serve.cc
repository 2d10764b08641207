// mod_lpicing's request path: claiming PREFIX/ URLs (translate_name or the
// quick handler), resolving each to one revision's file or combo through the
// core, and sending it the way core's default_handler sends a static file.
#include <cstring>
#include <string>

#include "lasting.h"
#include "mod_lpicing.h"
#include "upgrade.h"

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

using namespace lpicing_httpd;

namespace {

// r->uri is PREFIX or under PREFIX/.
bool under_prefix(const ServerConf* c, const char* uri) {
  std::size_t n = std::strlen(c->prefix);
  return std::strncmp(uri, c->prefix, n) == 0 && (uri[n] == '/' || uri[n] == '\0');
}

// Errors and 404s are never cached: a revision may appear a moment later.
void no_store(request_rec* r) {
  apr_table_setn(r->err_headers_out, "Cache-Control", lpicing::kCacheControlNotFound.data());
}

// The pool key is "lpweb-shm:" and this (tests/harness/scribble finds it there).
constexpr const char kCompressorsName[] = "lpicing-compressors";

// The request target's path exactly as received, before any decoding
// (origin-form, or the path of an absolute-form target); null if none.
char* raw_path(request_rec* r) {
  const char* t = r->unparsed_uri;
  if (!t) return nullptr;
  if (*t != '/') {
    const char* scheme_end = std::strstr(t, "://");
    if (!scheme_end) return nullptr;
    t = std::strchr(scheme_end + 3, '/');
    if (!t) return nullptr;
  }
  const char* q = std::strchr(t, '?');
  return apr_pstrmemdup(r->pool, t, q ? static_cast<apr_size_t>(q - t) : std::strlen(t));
}

// `path` is the decoded path after the prefix; the query is taken raw.
int translate_combo(request_rec* r, ServerConf* c, const char* path) {
  const char* accept = apr_table_get(r->headers_in, "Accept-Encoding");
  lpicing::ComboLimits limits;
  limits.max_files = static_cast<std::size_t>(c->combo_max_files);
  limits.max_bytes = static_cast<std::uint64_t>(c->combo_max_bytes);
  auto* st = new RequestState{};
  apr_pool_cleanup_register(r->pool, st, delete_object<RequestState>, apr_pool_cleanup_null);
  st->is_combo = true;
  st->combo = lpicing::resolve_combo(*c->cache, c->store, path, r->args ? r->args : "", accept ? accept : "", limits);
  const lpicing::ResolvedCombo& combo = st->combo;
  switch (combo.status) {
    case lpicing::ComboStatus::found:
      break;
    case lpicing::ComboStatus::error:
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LPI0603: revision %s cannot be served: %s", combo.revision.c_str(),
                    combo.reason.c_str());
      no_store(r);
      return HTTP_INTERNAL_SERVER_ERROR;
    case lpicing::ComboStatus::not_found:
    case lpicing::ComboStatus::bad_request: {
      int status = combo.status == lpicing::ComboStatus::not_found ? HTTP_NOT_FOUND : HTTP_BAD_REQUEST;
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0601: combo %s: %s: %d", r->uri, combo.reason.c_str(), status);
      no_store(r);
      return status;
    }
  }
  ap_set_module_config(r->request_config, &lpicing_module, st);
  // mod_mime types the response by the first member's name; all share its extension.
  r->filename = apr_pstrmemdup(r->pool, combo.files.front().data(), combo.files.front().size());
  r->handler = kHandler;
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                "LPI0602: combo %s: %s revision %s, %" APR_SIZE_T_FMT " files, %" APR_UINT64_T_FMT " bytes, %s",
                r->uri, combo.kind == lpicing::PathKind::versioned ? "versioned" : "current", combo.revision.c_str(),
                static_cast<apr_size_t>(combo.members.size()), static_cast<apr_uint64_t>(combo.identity_size),
                combo.encoding == lpicing::Encoding::identity ? "identity"
                                                              : lpicing::content_encoding(combo.encoding).data());
  return OK;
}

// Opens a store file for a file bucket (EnableSendfile as core's
// default_handler honours it) and checks the size its INDEX records. OK, or
// the status to answer: 404 when it was pruned since the lookup, 500 (logged)
// when it cannot be read or the store was changed by hand.
int open_store_file(request_rec* r, const core_dir_config* core, const std::string& file, std::uint64_t size,
                    apr_file_t** fd) {
  apr_status_t rv = apr_file_open(fd, file.c_str(), APR_READ | APR_BINARY | AP_SENDFILE_ENABLED(core->enable_sendfile),
                                  0, r->pool);
  int status = OK;
  apr_finfo_t info;
  if (rv != APR_SUCCESS) {
    ap_log_rerror(APLOG_MARK, APR_STATUS_IS_ENOENT(rv) ? APLOG_DEBUG : APLOG_ERR, rv, r, "LPI0104: cannot open %s",
                  file.c_str());
    status = APR_STATUS_IS_ENOENT(rv) ? HTTP_NOT_FOUND : HTTP_INTERNAL_SERVER_ERROR;
  } else if (apr_file_info_get(&info, APR_FINFO_SIZE, *fd) != APR_SUCCESS ||
             info.size != static_cast<apr_off_t>(size)) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "LPI0105: %s does not have the size its INDEX records (%" APR_UINT64_T_FMT
                  " bytes): the store was changed by hand",
                  file.c_str(), static_cast<apr_uint64_t>(size));
    apr_file_close(*fd);
    status = HTTP_INTERNAL_SERVER_ERROR;
  }
  if (status != OK) no_store(r);
  return status;
}

// A file bucket, so the core can use sendfile; the byterange filter does Range.
void append_file(request_rec* r, const core_dir_config* core, apr_bucket_brigade* bb, apr_file_t* fd,
                 std::uint64_t size) {
  apr_bucket* file = apr_brigade_insert_file(bb, fd, 0, static_cast<apr_off_t>(size), r->pool);
#if APR_HAS_MMAP
  if (core->enable_mmap == ENABLE_MMAP_OFF) apr_bucket_file_enable_mmap(file, 0);
#else
  (void)file;
  (void)core;
#endif
}

// The headers an asset or a combo has whatever its coding.
void set_headers(request_rec* r, const ServerConf* c, lpicing::PathKind kind, bool vary, std::int64_t mtime) {
  apr_table_setn(r->headers_out, "Cache-Control",
                 kind == lpicing::PathKind::versioned ? lpicing::kCacheControlVersioned.data()
                                                      : c->current_cache_control);
  if (vary) apr_table_mergen(r->headers_out, "Vary", "Accept-Encoding");
  if (!r->content_type) ap_set_content_type(r, "application/octet-stream");
  ap_update_mtime(r, apr_time_from_sec(mtime));
  ap_set_last_modified(r);
}

// The headers of one representation (its ETag and coding), then the
// request's conditions: OK to send the body, or the status (304, 412) to answer with.
int set_representation_and_check(request_rec* r, const lpicing::Sha256& digest, lpicing::Encoding encoding) {
  auto etag = lpicing::format_etag(digest);
  apr_table_setn(r->headers_out, "ETag", apr_pstrmemdup(r->pool, etag.data(), lpicing::kETagLength));
  r->content_encoding = encoding == lpicing::Encoding::identity
                            ? nullptr
                            : apr_pstrdup(r->pool, lpicing::content_encoding(encoding).data());
  int status = ap_meets_conditions(r);
  if (status != OK) r->status = status;
  return status;
}

int set_headers_and_check(request_rec* r, const ServerConf* c, const lpicing::Sha256& digest, lpicing::PathKind kind,
                          bool vary, lpicing::Encoding encoding, std::int64_t mtime) {
  set_headers(r, c, kind, vary, mtime);
  return set_representation_and_check(r, digest, encoding);
}

int pass_body(request_rec* r, apr_bucket_brigade* bb) {
  APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
  return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

int serve_asset(request_rec* r, RequestState* st) {
  ServerConf* c = conf_of(r->server);
  const lpicing::ResolvedFile& f = st->file;
  r->allowed |= (AP_METHOD_BIT << M_GET);
  if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;

  auto* core = static_cast<core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
  // A small body comes from the child's mappings (EnableMMAP Off: never).
  // Not on an h2 stream (c->master): mod_http2 copies a memory bucket three
  // times on its way to the client's connection, and passes a file bucket on.
  std::shared_ptr<const lpicing::MappedBody> body;
  if (c->bodies && core->enable_mmap != ENABLE_MMAP_OFF && !r->connection->master)
    body = c->bodies->get(f.file, f.size, f.sha256);
  apr_file_t* fd = nullptr;
  if (!body) {
    int status = open_store_file(r, core, f.file, f.size, &fd);
    if (status != OK) return status;
  }
  ap_set_content_length(r, static_cast<apr_off_t>(f.size));
  int status = set_headers_and_check(r, c, f.sha256, f.kind, f.vary, f.encoding, f.entry->mtime);
  if (status != OK) {
    if (fd) apr_file_close(fd);
    return status;
  }
  apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
  if (body) {
    // The request pool holds the mapping. A pool bucket made after that
    // hold copies its bytes to the heap should anything keep it past the
    // pool (cleanups run newest first), so the bytes never go away under it.
    using Held = std::shared_ptr<const lpicing::MappedBody>;
    auto* held = new Held(std::move(body));
    apr_pool_cleanup_register(r->pool, held, delete_object<Held>, apr_pool_cleanup_null);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create((*held)->data(), (*held)->size(), r->pool,
                                                       r->connection->bucket_alloc));
  } else {
    append_file(r, core, bb, fd, f.size);
  }
  return pass_body(r, bb);
}

// A combo: headers as for one asset, then the conditions (so a 304 costs no
// file or compression work), then the members as file buckets (identity) or
// the compressed concatenation: from the per-child cache, or compressed by a
// GET that gets one of the server's compressor slots. Any other miss (no
// slot free, or a HEAD) goes out as identity, with that representation's
// validators, and is compressed by a later miss.
int serve_combo(request_rec* r, RequestState* st) {
  ServerConf* c = conf_of(r->server);
  lpicing::ResolvedCombo& combo = st->combo;
  r->allowed |= (AP_METHOD_BIT << M_GET);
  if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
  set_headers(r, c, combo.kind, combo.vary, combo.mtime);
  const lpicing::Encoding negotiated = combo.encoding;
  bool checked = false;
  if (negotiated != lpicing::Encoding::identity && !r->header_only) {
    // A revalidation of the compressed representation is answered without one.
    int status = set_representation_and_check(r, combo.digest, negotiated);
    if (status != OK) return status;
    checked = true;
  }
  lpicing::ComboChoice choice =
      lpicing::choose_combo_body(&combo, c->combo_cache, c->compressors,
                                 static_cast<std::uint32_t>(c->combo_compressors), r->header_only != 0);
  if (combo.encoding != negotiated) {
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0607: combo %s: not cached, %s: sent as identity", r->uri,
                  r->header_only ? "a HEAD never compresses" : "no compressor free");
    // Nor may mod_deflate or mod_brotli compress it per request instead.
    apr_table_setn(r->subprocess_env, "no-gzip", "1");
    apr_table_setn(r->subprocess_env, "no-brotli", "1");
    checked = false;
  }
  if (!checked) {
    int status = set_representation_and_check(r, combo.digest, combo.encoding);
    if (status != OK) return status;
  }

  apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
  if (choice.plan == lpicing::ComboPlan::identity) {
    auto* core = static_cast<core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
    for (std::size_t i = 0; i < combo.members.size(); ++i) {
      std::uint64_t size = combo.members[i]->size;
      apr_file_t* fd = nullptr;
      int status = open_store_file(r, core, combo.files[i], size, &fd);
      if (status != OK) return status;
      if (size == 0)
        apr_file_close(fd);
      else
        append_file(r, core, bb, fd, size);
    }
    ap_set_content_length(r, static_cast<apr_off_t>(combo.identity_size));
  } else {
    if (choice.plan == lpicing::ComboPlan::cached) {
      st->combo_body = std::move(choice.cached);
    } else {
      lpicing::ComboBody body = lpicing::make_combo_body(combo, c->combo_cache);
      choice.slot.release();  // before sending: a slow client must not hold it
      if (body.status != lpicing::ComboBodyStatus::ok) {
        bool gone = body.status == lpicing::ComboBodyStatus::not_found;
        ap_log_rerror(APLOG_MARK, gone ? APLOG_DEBUG : APLOG_ERR, 0, r, "LPI0604: combo %s: %s", r->uri,
                      body.error.c_str());
        no_store(r);
        return gone ? HTTP_NOT_FOUND : HTTP_INTERNAL_SERVER_ERROR;
      }
      st->combo_body = std::move(body.bytes);
    }
    // st->combo_body outlives the brigade: freed with r->pool. Transient: a
    // filter that must keep it past this call copies it.
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(st->combo_body->data(), st->combo_body->size(),
                                                            r->connection->bucket_alloc));
    ap_set_content_length(r, static_cast<apr_off_t>(st->combo_body->size()));
  }
  return pass_body(r, bb);
}

}  // namespace

extern "C" {

// The combo compressor slots of the whole httpd: shared memory made once, at
// the first start, kept across graceful restarts (children of the old
// generation may still hold slots), at its largest size so a restart can
// raise LPIcingComboCompressors. The parent never reads it.
int lpicing_setup_compressors(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
  bool any = false;
  int most = 0;
  for (server_rec* v = s; v; v = v->next) {
    if (!conf_of(v)->store) continue;
    any = true;
    if (conf_of(v)->combo_compressors > most) most = conf_of(v)->combo_compressors;
  }
  if (!any) return OK;
  apr_size_t size = 0;
  apr_status_t rv = APR_SUCCESS;
  void* memory = lpweb::httpd::lasting_shared_memory(
      s, kCompressorsName, lpicing::CompressorSlots::bytes_for(lpicing::kComboMaxCompressors), &size, &rv);
  if (!memory) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                 "LPI0608: cannot create shared memory for combo compressor slots; combos go out uncompressed");
    return OK;  // correct, only bigger
  }
  lpicing::CompressorSlots slots(memory, size, static_cast<std::uint32_t>(most));
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store) conf_of(v)->compressors = slots;
  return OK;
}

// One index cache per child, shared by its threads and every virtual host.
void lpicing_child_init(apr_pool_t* pchild, server_rec* s) {
  lpicing::IndexCache* cache = nullptr;
  try {
    cache = new lpicing::IndexCache();
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "LPI0006: cannot create the index cache; icing is not served");
    return;
  }
  apr_pool_cleanup_register(pchild, cache, delete_object<lpicing::IndexCache>, apr_pool_cleanup_null);
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store) conf_of(v)->cache = cache;

  // Small bodies are mapped once and sent from memory: no open, fstat,
  // sendfile and close per request. Without it they are simply opened each time.
  lpicing::BodyCache* bodies = nullptr;
  try {
    bodies = new lpicing::BodyCache();
    apr_pool_cleanup_register(pchild, bodies, delete_object<lpicing::BodyCache>, apr_pool_cleanup_null);
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "LPI0010: cannot create the body cache; files are opened per request");
    bodies = nullptr;
  }
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store) conf_of(v)->bodies = bodies;

  // One combo cache too, as large as the largest LPIcingComboCacheBytes.
  apr_int64_t combo_bytes = 0;
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store && conf_of(v)->combo_cache_bytes > combo_bytes) combo_bytes = conf_of(v)->combo_cache_bytes;
  if (combo_bytes <= 0) return;
  lpicing::ComboCache* combo_cache = nullptr;
  try {
    combo_cache = new lpicing::ComboCache(static_cast<std::uint64_t>(combo_bytes));
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "LPI0606: cannot create the combo cache; combos are compressed per request");
    return;
  }
  apr_pool_cleanup_register(pchild, combo_cache, delete_object<lpicing::ComboCache>, apr_pool_cleanup_null);
  for (server_rec* v = s; v; v = v->next)
    if (conf_of(v)->store && conf_of(v)->combo_cache_bytes > 0) conf_of(v)->combo_cache = combo_cache;
}

// PREFIX/+combo/...: several files of one revision in one response.

// Claims PREFIX/ URLs after httpd decoded and normalised the path (so
// %2e%2e, %00 and %2F never get here), resolving the revision exactly once.
int lpicing_translate_name(request_rec* r) {
  ServerConf* c = conf_of(r->server);
  if (!c->store || !c->cache || !under_prefix(c, r->uri)) return DECLINED;
  std::size_t n = std::strlen(c->prefix);
  if (!r->main) apr_table_setn(r->notes, kCountedNote, "1");
  return guarded(r, [&]() -> int {
    // One URL per file: the path as sent, decoded but not normalised, so
    // dot segments, "//" and the like never reach another file.
    // (httpd has already normalised r->parsed_uri.path, so go back to the request line.)
    char* path = raw_path(r);
    int bad = path ? ap_unescape_url(path) : HTTP_NOT_FOUND;
    if (bad == OK && (std::strncmp(path, c->prefix, n) != 0 || (path[n] != '/' && path[n] != '\0')))
      bad = HTTP_NOT_FOUND;
    if (bad != OK) {
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0106: %s: %s: %d", r->unparsed_uri,
                    bad == HTTP_BAD_REQUEST ? "bad %-escape in the path" : "outside the prefix once decoded", bad);
      no_store(r);
      return bad;
    }
    if (lpicing::is_combo_path(path + n)) return translate_combo(r, c, path + n);
    const char* accept = apr_table_get(r->headers_in, "Accept-Encoding");
    auto* st = new RequestState{lpicing::resolve_request(*c->cache, c->store, path + n, accept ? accept : "")};
    apr_pool_cleanup_register(r->pool, st, delete_object<RequestState>, apr_pool_cleanup_null);
    const lpicing::ResolvedFile& f = st->file;
    if (f.status == lpicing::ResolveStatus::error) {
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LPI0101: revision %s cannot be served: %s", f.revision.c_str(),
                    f.error.c_str());
      no_store(r);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (f.status != lpicing::ResolveStatus::found) {
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0102: %s: %s%s: 404", r->uri,
                    f.kind == lpicing::PathKind::not_found ? "not a servable path (hidden, metadata or malformed)"
                    : f.revision.empty()                  ? "no current revision"
                    : !f.index                            ? "not in the store: revision "
                                                          : "no such file in revision ",
                    f.kind == lpicing::PathKind::not_found ? "" : f.revision.c_str());
      no_store(r);
      return HTTP_NOT_FOUND;
    }
    ap_set_module_config(r->request_config, &lpicing_module, st);
    // mod_mime types the response by this name: the asset's, never its variant's.
    std::size_t name_len = f.file.size() - (f.encoding == lpicing::Encoding::identity ? 0 : 3);
    r->filename = apr_pstrmemdup(r->pool, f.file.data(), name_len);
    r->handler = kHandler;
    // (In C++ ap_log_rerror is a plain call: the level test keeps its arguments off the hot path.)
    if (APLOG_R_IS_LEVEL(r, APLOG_DEBUG))
      ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                    "LPI0103: %s: %s revision %s, file %s, %s variant (Accept-Encoding: %s), serving %s", r->uri,
                    f.kind == lpicing::PathKind::versioned ? "versioned" : "current", f.revision.c_str(),
                    f.entry->path.c_str(),
                    f.encoding == lpicing::Encoding::identity ? "identity"
                                                              : lpicing::content_encoding(f.encoding).data(),
                    accept ? accept : "none", f.file.c_str());
    return OK;
  });
}

// Our files are in the store, not under a <Directory>: skip the directory walk.
int lpicing_map_to_storage(request_rec* r) { return state_of(r) ? OK : DECLINED; }

// An AddHandler matching an asset's extension must never run it.
int lpicing_fixups(request_rec* r) {
  if (state_of(r)) r->handler = kHandler;
  return DECLINED;
}

int lpicing_handler(request_rec* r) {
  if (RequestState* st = state_of(r))
    return guarded(r, [&] { return st->is_combo ? serve_combo(r, st) : serve_asset(r, st); });
  if (!r->handler || std::strcmp(r->handler, kStatusHandler) != 0) return DECLINED;
  return guarded(r, [&] { return serve_status(r); });
}

// The fast path (LPIcingQuickHandler On, the default): icing URLs are answered
// straight after the request is read, as mod_cache's CacheQuickHandler does,
// skipping the location walk, access checks and mapping that public,
// immutable assets do not need. The same resolution and response code run
// as on the slow path; only the hooks in between are left out.
int lpicing_quick_handler(request_rec* r, int lookup) {
  if (lookup || r->main || r->prev || r->proxyreq) return DECLINED;
  ServerConf* c = conf_of(r->server);
  if (c->quick != 1 || !c->store || !c->cache || !under_prefix(c, r->uri)) return DECLINED;
  // Upgrade: h2c, which httpd's own upgrade (a handler hook) would never see.
  // Before the lookup: the request is served, and counted, as h2 stream 1.
  if (const char* protocol = lpweb::httpd::switch_protocol_if_asked(r)) {
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LPI0107: %s: switched to %s, served there", r->uri, protocol);
    return DONE;
  }
  int status = lpicing_translate_name(r);
  if (status != OK) return status;  // DECLINED: not ours; or a 4xx/5xx for ap_die
  ap_run_type_checker(r);           // mod_mime types the asset by r->filename
  ap_run_insert_filter(r);          // mod_headers, mod_deflate and the like still apply
  // What ap_invoke_handler does next: run the init functions of this request's
  // filters (not the connection's, whose f->r is not r). Without it mod_filter's
  // harness (AddOutputFilterByType, e.g. Debian's default mod_deflate config)
  // has no context and the child segfaults.
  for (ap_filter_t* f : {r->input_filters, r->output_filters}) {
    for (; f; f = f->next) {
      if (f->frec->filter_init_func && f->r == r) {
        int rv = f->frec->filter_init_func(f);
        if (rv != OK) return rv;
      }
    }
  }
  status = lpicing_handler(r);
  // ap_invoke_handler's step: a 405's Allow header lists what the handler allows.
  r->allowed_methods->method_mask |= r->allowed;
  return status == DECLINED ? HTTP_NOT_FOUND : status;
}

}  // extern "C"
