// HTTP clients for integration tests: libcurl for ordinary requests, and a
// raw socket for what libcurl will not send (absolute-form targets, odd Host
// headers, raw bytes, HTTP/1.0 without Host, pipelined requests).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpweb::test {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lower-cased, in order received

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string error;  // transport error, empty on success
  long http_version = 0;  // CURLINFO_HTTP_VERSION from fetch(): CURL_HTTP_VERSION_1_1, _2_0...

  // The value of the first header `name` (lower case), "" when absent.
  std::string header(std::string_view name) const;
  int header_count(std::string_view name) const;
};

struct Request {
  std::string method = "GET";
  std::string host = "localhost";  // resolved to 127.0.0.1 whatever it is
  std::string target = "/";        // sent as is (no dot squashing)
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  // CURLOPT_HTTP_VERSION; 0 leaves libcurl's default. CURL_HTTP_VERSION_2_0 on
  // http:// asks for an upgrade (Upgrade: h2c).
  long http_version = 0;
};

// One request through libcurl to http://HOST:PORT/TARGET, HOST pinned to 127.0.0.1.
Response fetch(int port, const Request& request);
Response get(int port, const std::string& host, const std::string& target);

struct RawResponse : Response {
  std::string raw;  // everything received
};

// Sends `bytes` on a fresh connection, reads until the server closes it or
// `timeout_ms` passes, and parses the first response.
RawResponse raw_request(int port, std::string_view bytes, int timeout_ms = 5000);
// A kept-alive connection: send requests one at a time and read each response.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool send(std::string_view bytes);
  // Reads one Content-Length framed response (no body for HEAD/304/204).
  Response read_response(bool head = false, int timeout_ms = 5000);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// Splits a stream of responses to pipelined requests (Content-Length framed;
// `head_only[i]` marks a response to HEAD, which has no body).
std::vector<Response> parse_responses(std::string_view raw, const std::vector<bool>& head_only = {});

}  // namespace lpweb::test
