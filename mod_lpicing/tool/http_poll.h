// Fetches lpicing-status URLs for `lpicing wait`: libcurl's multi interface,
// one kept-alive handle per server, all servers of a round in parallel.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gate.h"

namespace lpicing_tool {

class StatusPoller {
 public:
  explicit StatusPoller(std::vector<std::string> urls);
  ~StatusPoller();
  StatusPoller(const StatusPoller&) = delete;
  StatusPoller& operator=(const StatusPoller&) = delete;

  // GETs the URLs with the given indexes at once; each request gives up
  // after `timeout_ms`. Returns one result per index, in order.
  std::vector<lpicing::PollResult> poll(const std::vector<std::size_t>& which, long timeout_ms);

 private:
  struct Handle;
  std::vector<Handle*> handles_;
  void* multi_ = nullptr;
};

}  // namespace lpicing_tool
