// libcurl side of `lpicing wait`. What a body means is read in gate_json.h and
// decided in the core (gate.h); this only moves bytes.
#include "http_poll.h"

#include <curl/curl.h>

#include <stdexcept>

#include "gate_json.h"

namespace lpicing_tool {

namespace {
std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxStatusBodyBytes) return 0;  // aborts the transfer
  body->append(data, size * n);
  return size * n;
}
}  // namespace

struct StatusPoller::Handle {
  std::string url;
  CURL* easy = nullptr;
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
};

StatusPoller::StatusPoller(std::vector<std::string> urls) {
  multi_ = curl_multi_init();
  if (!multi_) throw std::runtime_error("cannot initialise libcurl");
  for (std::string& url : urls) {
    auto* h = new Handle;
    handles_.push_back(h);
    h->url = std::move(url);
    h->easy = curl_easy_init();
    if (!h->easy) throw std::runtime_error("cannot initialise libcurl");
    curl_easy_setopt(h->easy, CURLOPT_URL, h->url.c_str());
    curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, &h->body);
    curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->error);
    curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->easy, CURLOPT_USERAGENT, "lpicing-wait");
    curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  }
}

StatusPoller::~StatusPoller() {
  for (Handle* h : handles_) {
    if (h->easy) curl_easy_cleanup(h->easy);
    delete h;
  }
  if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

std::vector<lpicing::PollResult> StatusPoller::poll(const std::vector<std::size_t>& which, long timeout_ms) {
  CURLM* multi = static_cast<CURLM*>(multi_);
  if (timeout_ms < 1) timeout_ms = 1;
  for (std::size_t i : which) {
    Handle* h = handles_.at(i);
    h->body.clear();
    h->error[0] = '\0';
    curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_multi_add_handle(multi, h->easy);
  }
  std::vector<lpicing::PollResult> results(which.size());
  int running = 0;
  do {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    if (running) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  } while (running);
  for (int left = 0; CURLMsg* m = curl_multi_info_read(multi, &left);) {
    if (m->msg != CURLMSG_DONE) continue;
    for (std::size_t k = 0; k < which.size(); ++k) {
      Handle* h = handles_[which[k]];
      if (h->easy != m->easy_handle) continue;
      lpicing::PollResult& r = results[k];
      if (m->data.result == CURLE_OK) {
        r.reached = true;
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r.http_status);
        r.body = std::move(h->body);
      } else {
        r.transport_error = h->error[0] ? h->error : curl_easy_strerror(m->data.result);
      }
    }
  }
  for (std::size_t i : which) curl_multi_remove_handle(multi, handles_[i]->easy);
  return results;
}

}  // namespace lpicing_tool
