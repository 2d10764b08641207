// libcurl and raw-socket clients for the integration tests.
#include "client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

namespace lpweb::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<Response*>(user)->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();  // a new response (after 100 Continue)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    r->headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
  }
  return size * n;
}

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

int Response::header_count(std::string_view name) const {
  return static_cast<int>(std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; }));
}

Response fetch(int port, const Request& request) {
  Response r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    r.error = "curl_easy_init failed";
    return r;
  }
  CURL* c = curl.get();
  std::string url = "http://" + request.host + ":" + std::to_string(port) + request.target;
  std::string resolve = request.host + ":" + std::to_string(port) + ":127.0.0.1";
  curl_slist* resolves = curl_slist_append(nullptr, resolve.c_str());
  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_RESOLVE, resolves);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  if (request.http_version) curl_easy_setopt(c, CURLOPT_HTTP_VERSION, request.http_version);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &r.http_version);
  curl_slist_free_all(headers);
  curl_slist_free_all(resolves);
  return r;
}

Response get(int port, const std::string& host, const std::string& target) {
  Request req;
  req.host = host;
  req.target = target;
  return fetch(port, req);
}

std::vector<Response> parse_responses(std::string_view raw, const std::vector<bool>& head_only) {
  std::vector<Response> out;
  while (!raw.empty()) {
    std::size_t end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    Response r;
    std::string_view head = raw.substr(0, end);
    raw.remove_prefix(end + 4);
    std::size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    if (status_line.size() >= 12) r.status = std::strtol(std::string(status_line.substr(9, 3)).c_str(), nullptr, 10);
    long length = -1;
    while (eol != std::string_view::npos) {
      head.remove_prefix(eol + 2);
      eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      r.headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
      if (r.headers.back().first == "content-length") length = std::strtol(r.headers.back().second.c_str(), nullptr, 10);
    }
    bool no_body = out.size() < head_only.size() && head_only[out.size()];
    if (no_body || r.status == 304 || r.status == 204) length = 0;
    std::size_t take = length < 0 ? raw.size() : std::min<std::size_t>(static_cast<std::size_t>(length), raw.size());
    r.body = std::string(raw.substr(0, take));
    raw.remove_prefix(take);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

int connect_loopback(int port, std::string* error) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    *error = "socket failed";
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Appends what arrives before the deadline; false on close, error or timeout.
bool receive_some(int fd, std::string* into, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16384];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  into->append(buf, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

RawConnection::RawConnection(int port) {
  std::string error;
  fd_ = connect_loopback(port, &error);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::send(std::string_view bytes) { return fd_ >= 0 && send_all(fd_, bytes); }

Response RawConnection::read_response(bool head, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::size_t end = buffer_.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::vector<Response> parsed = parse_responses(buffer_.substr(0, end + 4), {true});
      if (!parsed.empty()) {
        long length = head || parsed[0].status == 304 || parsed[0].status == 204
                          ? 0
                          : std::strtol(parsed[0].header("content-length").c_str(), nullptr, 10);
        if (buffer_.size() >= end + 4 + static_cast<std::size_t>(length)) {
          parsed[0].body = buffer_.substr(end + 4, static_cast<std::size_t>(length));
          buffer_.erase(0, end + 4 + static_cast<std::size_t>(length));
          return parsed[0];
        }
      }
    }
    if (fd_ < 0 || !receive_some(fd_, &buffer_, deadline)) {
      Response r;
      r.error = "connection closed or timed out before a whole response";
      return r;
    }
  }
}

RawResponse raw_request(int port, std::string_view bytes, int timeout_ms) {
  RawResponse r;
  int fd = connect_loopback(port, &r.error);
  if (fd < 0) return r;
  send_all(fd, bytes);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (receive_some(fd, &r.raw, deadline)) {
  }
  close(fd);
  std::vector<Response> parsed = parse_responses(r.raw);
  if (!parsed.empty()) static_cast<Response&>(r) = parsed.front();
  else if (r.raw.empty() && r.error.empty()) r.error = "no response";
  return r;
}

}  // namespace lpweb::test
