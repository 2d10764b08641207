// Adversarial requests as data, against one real httpd with both modules: mod_lpedge
// redirecting the edge host family edge.example.net to example.net, and mod_lpicing
// serving a store deployed by the real lpicing tool. Request-line and Host cases follow
// httpd-tests (t/apache/http_strict.t, hostcheck.t, t/security/) and nginx-tests
// (http_host.t, http_uri.t); path cases are the CVE-2021-41773/42013 and CVE-2020-1927
// payloads and their kin, sent to the asset host and to an edge host. Every row is its
// own test; every response is checked for a Location off the production hosts, for
// injected headers and for the bytes of files that must never be served.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "client.h"
#include "icing_site.h"

namespace lpweb::test {
namespace {

const std::string kEdgeHost = "bugs.edge.example.net";
const std::string kProductionUrl = "http://bugs.example.net";  // LPEdgeScheme preserve, plain HTTP

// Statuses a row may expect besides an exact code.
constexpr long kAnyError = -1;  // any 4xx or 5xx
constexpr long kNoStatus = 0;   // no status line: connection dropped, or an HTTP/0.9 answer
constexpr long kSameStatus = -2;  // a path row's slow-path status: the same as the quick path's

const std::string kDocrootIndex = "<!doctype html><title>lpweb</title><p>production</p>\n";
const std::string kApp100 = "/* revision 100 app.css */\n";
const std::string kApp101 = "/* REV101-ONLY app.css */\n";

// ---- the site: a store with two revisions, canaries around it, one httpd ----------------

std::string canary;  // random per site, so no response carries it by chance

// Revision 100 is current; 101 is deployed but not activated. Canary files sit next to
// the store, inside it, and inside revision 100 outside its files. "" or what failed.
std::string build_site(IcingSite& site, const std::string& extra_config) {
  std::random_device rd;
  canary = "LPWEB-CANARY-" + std::to_string(rd()) + "-" + std::to_string(rd());
  std::string error = site.try_deploy_revision("100", {{"css/app.css", kApp100},
                                                       {"A.css", "upper-case A\n"},
                                                       {"a.css", "lower-case a\n"},
                                                       {"caf\xc3\xa9.css", "NFC: e-acute is one code point\n"},
                                                       {"cafe\xcc\x81.css", "NFD: e then a combining acute\n"},
                                                       {"%2e%2e.css", "a file literally named %2e%2e.css\n"}});
  if (error.empty()) error = site.try_deploy_revision("101", {{"css/app.css", kApp101}}, {"--no-activate"});
  if (!error.empty()) return error;
  for (const std::string& p : {site.dir + "/canary.txt", site.store + "/canary.txt",
                               site.store + "/revisions/canary.txt", site.store + "/revisions/100/canary.txt"})
    write_file(p, canary + "\n");
  site.options.own_modules = {{"lpedge_module", LPWEB_MOD_LPEDGE}, {"lpicing_module", LPWEB_MOD_LPICING}};
  if (site.start("LPEdgeRedirect edge.example.net example.net\n" + extra_config, &error)) return "";
  return error.empty() ? "unknown" : error;
}

// Bytes that no response may carry: the canary, /etc/passwd, the store's metadata
// and the revision that is not current (its URL rows compare whole bodies instead).
std::vector<std::string> secrets() { return {canary, "root:x:0:0", "lpicing-index 1", "REV101-ONLY"}; }

// httpd's own complaints about the requests sent here; none of this project's.
const std::vector<std::string> kHttpdRequestErrors = {
    "AH10244",  // invalid URI path
};

// One Site (one httpd) per test suite: rows run as separate processes under ctest and
// as one process when the binary runs alone.
class AdversarialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_site(""); }
  static void start_site(const std::string& extra_config) {
    if (!*LPWEB_MOD_LPEDGE) return;  // every row skips in SetUp
    // The store is the tester's: the tool makes it at the first deploy.
    site_ = new IcingSite("adversarial", StoreOwner::tester);
    std::string error = build_site(*site_, extra_config);
    if (!error.empty()) start_error_ = new std::string(error);
  }
  static void TearDownTestSuite() {
    delete site_;  // stops httpd
    site_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
    reported_errors_ = 0;
  }
  void SetUp() override {
    LPWEB_SKIP_WITHOUT_LPEDGE();
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
  }
  // Error-log lines that appeared during this row, unless httpd's own about the request.
  void TearDown() override {
    if (!site_ || start_error_) return;
    std::vector<std::string> errors = site_->httpd().unexpected_errors(kHttpdRequestErrors);
    for (std::size_t i = reported_errors_; i < errors.size(); ++i) ADD_FAILURE() << "error-log line: " << errors[i];
    reported_errors_ = errors.size();
  }

  RawResponse send(const std::string& bytes) { return raw_request(site_->port(), bytes, 10000); }

  // What every response must satisfy, whatever its row expects.
  void expect_safe(const RawResponse& r, bool compare_body) {
    EXPECT_LE(r.header_count("location"), 1) << r.raw;
    if (r.header_count("location")) {
      std::string host = location_host(r.header("location"));
      EXPECT_TRUE(is_production_host(host)) << "Location off the production hosts: " << r.header("location");
    }
    for (const char* injected : {"set-cookie", "x-injected"}) EXPECT_EQ(r.header_count(injected), 0) << r.raw;
    if (compare_body) return;
    for (const std::string& secret : secrets())
      EXPECT_EQ(r.raw.find(secret), std::string::npos) << "response carries " << secret << ":\n" << r.raw;
  }

  static std::string location_host(const std::string& location) {
    std::size_t start = location.find("://");
    if (start == std::string::npos) return {};
    start += 3;
    return location.substr(start, location.find_first_of("/?#", start) - start);
  }

  // example.net or a name under it made of DNS labels (mod_lpedge allows '_'), never an edge host.
  static bool is_production_host(const std::string& host) {
    const std::string base = "example.net";
    bool under = host == base || (host.size() > base.size() && host.compare(host.size() - base.size() - 1,
                                                                            base.size() + 1, "." + base) == 0);
    bool plain = std::all_of(host.begin(), host.end(), [](unsigned char c) {
      return std::isdigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c == '.';
    });
    bool edge = host == "edge." + base || (host.size() > 17 && host.compare(host.size() - 17, 17, ".edge.example.net") == 0);
    return under && plain && !edge;
  }

  static void expect_status(const RawResponse& r, long expected) {
    if (expected == kAnyError) {
      EXPECT_GE(r.status, 400) << r.raw;
    } else {
      EXPECT_EQ(r.status, expected) << r.raw;
    }
  }

  static IcingSite* site_;
  static std::string* start_error_;
  static std::size_t reported_errors_;
};

IcingSite* AdversarialTest::site_ = nullptr;
std::string* AdversarialTest::start_error_ = nullptr;
std::size_t AdversarialTest::reported_errors_ = 0;

// ---- table 1: request lines and Host headers -------------------------------------------

struct RequestRow {
  std::string name;
  std::string bytes;     // the whole request as sent
  long status;           // exact, kAnyError or kNoStatus
  std::string location;  // the exact Location expected; empty: there must be none
  std::string body;      // when set, the exact body expected
};

void PrintTo(const RequestRow& row, std::ostream* os) { *os << row.name; }

std::string get11(const std::string& target, const std::string& host_lines) {
  return "GET " + target + " HTTP/1.1\r\n" + host_lines + "Connection: close\r\n\r\n";
}
std::string edge11(const std::string& target) { return get11(target, "Host: " + kEdgeHost + "\r\n"); }
std::string host11(const std::string& host) { return get11("/", "Host: " + host + "\r\n"); }
std::string abs10(const std::string& target) { return "GET " + target + " HTTP/1.0\r\n\r\n"; }
// "<NUL>" marks where a NUL byte goes (a literal one would end a C string).
std::string with_nul(std::string s) {
  for (std::size_t at; (at = s.find("<NUL>")) != std::string::npos;) s.replace(at, 5, std::string(1, '\0'));
  return s;
}

std::vector<RequestRow> request_rows() {
  const std::string prod = kProductionUrl;
  std::vector<RequestRow> v = {
      // Controls: the edge redirect and the production host as configured.
      {"EdgeHostRedirects", edge11("/x?y=%2F"), 301, prod + "/x?y=%2F", ""},
      {"ProductionHostServes", host11("bugs.example.net"), 200, "", kDocrootIndex},
      // HTTP versions (http_strict.t).
      {"Http10WithoutHost", "GET / HTTP/1.0\r\n\r\n", 200, "", kDocrootIndex},
      {"Http10WithEdgeHost", "GET /a HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 301, prod + "/a", ""},
      {"Http11WithoutHost", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "", ""},
      {"Http09SimpleRequest", "GET /\r\n", kNoStatus, "", ""},
      {"Http09Version", "GET / HTTP/0.9\r\n\r\n", kAnyError, "", ""},
      {"Http08Version", "GET / HTTP/0.8\r\n\r\n", kAnyError, "", ""},
      {"Http12WithEdgeHost", "GET /v HTTP/1.2\r\nHost: " + kEdgeHost + "\r\nConnection: close\r\n\r\n", 301,
       prod + "/v", ""},
      {"Http20OverHttp1WithEdgeHost", "GET /v HTTP/2.0\r\nHost: " + kEdgeHost + "\r\nConnection: close\r\n\r\n",
       301, prod + "/v", ""},
      {"VersionHttp111", "GET / HTTP/1.11\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"VersionHttp100", "GET / HTTP/10.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"VersionHtt", "GET / HTT/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", kAnyError, "", ""},
      {"VersionMissingNumber", "GET / HTTP/\r\nHost: " + kEdgeHost + "\r\n\r\n", kAnyError, "", ""},
      {"VersionLowerCase", "GET / http/1.1\r\nHost: " + kEdgeHost + "\r\n\r\n", kAnyError, "", ""},
      {"VersionTrailingSpaces", "GET / HTTP/1.0  \r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"VersionTrailingWord", "GET / HTTP/1.0 x\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      // Methods and separators.
      // httpd lets an unknown method through (LenientMethods); not GET or HEAD, so 308.
      {"MethodLowerCase", "get /m HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 308, prod + "/m", ""},
      {"MethodWithSpace", "G ET / HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"MethodWithNul", with_nul("G<NUL>ET / HTTP/1.0\r\nHost: ") + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"MethodWithSlash", "G/T / HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"DoubleSpaceBeforeTarget", "GET  /x HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"DoubleSpaceAfterTarget", "GET /x  HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"TabsAsSeparators", "GET\t/x\tHTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"SpaceInsideTarget", "GET /a b HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"BareLineFeeds", "GET /x HTTP/1.0\nHost: " + kEdgeHost + "\n\n", 400, "", ""},
      // Control bytes and fragments in the target.
      {"NulInTarget", with_nul("GET /<NUL> HTTP/1.0\r\nHost: ") + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"ControlByteInTarget", "GET /\x01 HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"DelInTarget", "GET /a\x7f HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"NulAfterVersion", with_nul("GET / HTTP/1.0<NUL>\r\nHost: ") + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"FragmentInTarget", "GET /#frag HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"OnlyFragment", "GET #frag HTTP/1.0\r\nHost: " + kEdgeHost + "\r\n\r\n", 400, "", ""},
      {"EscapedControlsStayEscaped", edge11("/%02%0d%0a%00"), 301, prod + "/%02%0d%0a%00", ""},
      {"TruncatedEscape", edge11("/foo/bar%"), 301, prod + "/foo/bar%", ""},
      // Targets that are not origin-form (CVE-2011-3368 and kin).
      {"TargetStartingWithAt", edge11("@evil.example.org/x"), 400, "", ""},
      {"TargetWithoutSlash", edge11("evil.example.org/x"), 400, "", ""},
      {"SchemeRelativeTarget", edge11("//evil.example.org/x"), 301, prod + "//evil.example.org/x", ""},
      {"BackslashTarget", edge11("/\\evil.example.org/x"), 301, prod + "/\\evil.example.org/x", ""},
      // Absolute-form targets: the target's host decides, userinfo is refused.
      {"AbsoluteFormEdgeHost", get11("http://" + kEdgeHost + "/a%2Fb?c", "Host: other.example.org\r\n"), 301,
       prod + "/a%2Fb?c", ""},
      {"AbsoluteFormHttpsScheme", get11("https://" + kEdgeHost + "/s?t", "Host: " + kEdgeHost + "\r\n"), 301,
       prod + "/s?t", ""},
      {"AbsoluteFormEmptyPath", get11("http://" + kEdgeHost, "Host: " + kEdgeHost + "\r\n"), 301, prod + "/", ""},
      {"AbsoluteFormQueryWithoutPath", get11("http://" + kEdgeHost + "?q=1", "Host: " + kEdgeHost + "\r\n"), 301,
       prod + "/?q=1", ""},
      {"AbsoluteFormProductionOverEdgeHeader", get11("http://bugs.example.net/", "Host: " + kEdgeHost + "\r\n"),
       200, "", kDocrootIndex},
      {"AbsoluteFormUserinfo", get11("http://user@" + kEdgeHost + "/", "Host: " + kEdgeHost + "\r\n"), 400, "", ""},
      {"AbsoluteFormUserinfoPassword", get11("http://user:pw@" + kEdgeHost + "/", "Host: " + kEdgeHost + "\r\n"), 400,
       "", ""},
      {"AbsoluteFormEdgeAsUserinfo", get11("http://" + kEdgeHost + "@evil.example.org/", "Host: " + kEdgeHost + "\r\n"),
       400, "", ""},
      {"AbsoluteFormLocalhostUserinfo", abs10("http://foo@localhost:80/"), 400, "", ""},
      {"AbsoluteFormBadPort", get11("http://" + kEdgeHost + ":80x/", "Host: " + kEdgeHost + "\r\n"), 400, "", ""},
      {"AbsoluteFormTwoPorts", get11("http://" + kEdgeHost + ":80:80/", "Host: " + kEdgeHost + "\r\n"), 400, "", ""},
      {"AbsoluteFormDoubleColon", abs10("http://localhost::80/"), 400, "", ""},
      {"AbsoluteFormEncodedDot", get11("http://bugs%2eedge.example.net/", "Host: localhost\r\n"), 400, "", ""},
      {"AbsoluteFormOtherScheme", get11("ftp://" + kEdgeHost + "/f", "Host: " + kEdgeHost + "\r\n"), kAnyError, "",
       ""},
      // Numeric and octal hosts (http_strict.t).
      {"AbsoluteFormOctalIp", abs10("http://017700000001/"), 400, "", ""},
      {"AbsoluteFormHexIp", abs10("http://0x7f.1/"), 400, "", ""},
      {"AbsoluteFormLeadingZeroIp", abs10("http://127.01.0.1/"), 400, "", ""},
      {"AbsoluteFormEncodedIp", abs10("http://%3127.0.0.1/"), 400, "", ""},
      {"AbsoluteFormDottedIp", abs10("http://127.0.0.1/"), 200, "", kDocrootIndex},
      {"AbsoluteFormIpv6", abs10("http://[::1]/"), 200, "", kDocrootIndex},
      {"AbsoluteFormBadIpv6", abs10("http://[4712::abcd::]/"), 400, "", ""},
      {"HostDottedIp", host11("127.0.0.1"), 200, "", kDocrootIndex},
      {"HostOctalIp", host11("017700000001"), 400, "", ""},
      {"HostIpv6", host11("[::1]:8000"), 200, "", kDocrootIndex},
      {"HostUnbracketedIpv6", host11("4714::abcd:8001"), 400, "", ""},
      // Host header (hostcheck.t, http_host.t).
      {"HostCaseAndPortAndTrailingDot", host11("BUGS.Edge.Example.NET.:8080"), 301, prod + "/", ""},
      {"HostBareEdge", host11("edge.example.net"), 301, "http://example.net/", ""},
      {"HostPunycodeLabel", host11("xn--bcher-kva.edge.example.net"), 301, "http://xn--bcher-kva.example.net/", ""},
      {"HostTwoPorts", host11(kEdgeHost + ":80:80"), 400, "", ""},
      {"HostBadPort", host11(kEdgeHost + ":8x"), 400, "", ""},
      {"HostDuplicateSame", get11("/", "Host: " + kEdgeHost + "\r\nHost: " + kEdgeHost + "\r\n"), 400, "", ""},
      {"HostDuplicateEvilFirst", get11("/", "Host: evil.example.org\r\nHost: " + kEdgeHost + "\r\n"), 400, "", ""},
      {"HostDuplicateEdgeFirst", get11("/", "Host: " + kEdgeHost + "\r\nHost: evil.example.org\r\n"), 400, "", ""},
      {"HostCommaEdgeFirst", host11(kEdgeHost + ",evil.example.org"), 400, "", ""},
      {"HostCommaEvilFirst", host11("evil.example.org," + kEdgeHost), 400, "", ""},
      {"HostSpaceInside", host11(kEdgeHost + " x"), 400, "", ""},
      {"HostTabInside", host11("bugs.edge\t.example.net"), 400, "", ""},
      {"HostTabBeforeValue", get11("/t", "Host:\t" + kEdgeHost + "\r\n"), 301, prod + "/t", ""},
      {"HostSlash", host11("example.com/\\:552"), 400, "", ""},
      {"HostBackslash", host11("bugs\\edge.example.net"), 400, "", ""},
      {"HostDoubleDot", host11("..edge.example.net"), 400, "", ""},
      {"HostEmptyLabel", host11("bugs..edge.example.net"), 400, "", ""},
      {"HostControlByte", host11(kEdgeHost + "\x02"), 400, "", ""},
      {"HostNul", host11(kEdgeHost + std::string(1, '\0')), 400, "", ""},
      {"HostNonBreakingSpace", host11("abc\xa0"), 400, "", ""},
      {"HostRawUtf8Label", host11("b\xc3\xbc" "cher.edge.example.net"), 400, "", ""},
      {"HostUnderscoreLabel", host11("a_b.edge.example.net"), 301, "http://a_b.example.net/", ""},
      {"HostEmpty", get11("/", "Host: \r\n"), 400, "", ""},
      {"HostLookAlikeSuffix", host11("edge.example.net.evil.example.org"), 200, "", kDocrootIndex},
      {"HostLookAlikePrefix", host11("xedge.example.net"), 200, "", kDocrootIndex},
      {"HostOversized", host11(std::string(9000, 'a') + ".edge.example.net"), 400, "", ""},
      {"HostInjectedNewline", get11("/", "Host: localhost\nHost: " + kEdgeHost + "\r\n"), 400, "", ""},
      {"HostSpaceBeforeColon", get11("/", "Host : " + kEdgeHost + "\r\n"), 400, "", ""},
      // Header syntax (http_strict.t) and obs-fold.
      {"HeaderWithoutColon", get11("/", "Host: " + kEdgeHost + "\r\nFoo bar\r\n"), 400, "", ""},
      {"HeaderEmptyName", get11("/", "Host: " + kEdgeHost + "\r\n: bar\r\n"), 400, "", ""},
      {"HeaderNulInValue", get11("/", "Host: " + kEdgeHost + "\r\nFoo: b" + std::string(1, '\0') + "ar\r\n"), 400, "",
       ""},
      {"HeaderControlInName", get11("/", "Host: " + kEdgeHost + "\r\nF\x01o: bar\r\n"), 400, "", ""},
      {"HeaderTabInValue", get11("/h", "Host: " + kEdgeHost + "\r\nFo: b\tar\r\n"), 301, prod + "/h", ""},
      {"FoldedHeaderFirst", "GET / HTTP/1.1\r\n Host: " + kEdgeHost + "\r\nConnection: close\r\n\r\n", 400, "", ""},
      {"FoldedOtherHeader", get11("/f", "Host: " + kEdgeHost + "\r\nX-Foo: a\r\n b\r\n"), 301, prod + "/f", ""},
      {"FoldedHostValue", get11("/f", "Host: bugs.edge.\r\n example.net\r\n"), 400, "", ""},
      {"FoldedHostWithTab", get11("/f", "Host: bugs\r\n\t.edge.example.net\r\n"), 400, "", ""},
      // CONNECT and OPTIONS *: never redirected.
      {"ConnectEdgeHost",
       "CONNECT " + kEdgeHost + ":443 HTTP/1.1\r\nHost: " + kEdgeHost + ":443\r\nConnection: close\r\n\r\n", kAnyError,
       "", ""},
      {"ConnectOtherHost",
       "CONNECT evil.example.org:443 HTTP/1.1\r\nHost: " + kEdgeHost + "\r\nConnection: close\r\n\r\n", kAnyError, "",
       ""},
      {"OptionsAsteriskEdgeHost", "OPTIONS * HTTP/1.1\r\nHost: " + kEdgeHost + "\r\nConnection: close\r\n\r\n", 200,
       "", ""},
      {"OptionsAsteriskHttp10", "OPTIONS * HTTP/1.0\r\n\r\n", 200, "", ""},
      {"OptionsPathEdgeHost",
       "OPTIONS /o HTTP/1.1\r\nHost: " + kEdgeHost + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 308,
       prod + "/o", ""},
      // Length limits: a target just under LimitRequestLine is redirected whole.
      {"Target8000Bytes", edge11("/" + std::string(7999, 'a')), 301, prod + "/" + std::string(7999, 'a'), ""},
      {"Target9000Bytes", edge11("/" + std::string(8999, 'a')), 414, "", ""},
      {"Query9000Bytes", edge11("/q?" + std::string(8997, 'a')), 414, "", ""},
  };
  return v;
}

class RequestLineTest : public AdversarialTest, public ::testing::WithParamInterface<RequestRow> {};

TEST_P(RequestLineTest, AnswersAsTheTableSays) {
  const RequestRow& row = GetParam();
  RawResponse r = send(row.bytes);
  ASSERT_TRUE(r.error.empty() || row.status == kNoStatus) << r.error;
  expect_status(r, row.status);
  if (row.location.empty()) {
    EXPECT_EQ(r.header_count("location"), 0) << r.raw;
    EXPECT_EQ(r.raw.find("\nLocation:"), std::string::npos) << r.raw;
  } else {
    EXPECT_EQ(r.header("location"), row.location);
  }
  if (!row.body.empty()) {
    EXPECT_EQ(r.body, row.body);
  }
  expect_safe(r, !row.body.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, RequestLineTest, ::testing::ValuesIn(request_rows()),
                         [](const ::testing::TestParamInfo<RequestRow>& info) { return info.param.name; });

// ---- table 2: paths under /+icing/, on the asset host and on an edge host ----------------

struct PathRow {
  std::string name;
  std::string target;   // sent as is in the request line
  long status;          // on the asset host
  std::string body;     // for a 200, the exact body
  long edge_status;     // on an edge host: 301 means Location is the production host + target
  long slow_status = kSameStatus;  // on the asset host with LPIcingQuickHandler Off
};

void PrintTo(const PathRow& row, std::ostream* os) { *os << row.name; }

std::vector<PathRow> path_rows() {
  const std::string long_name(8000, 'a');
  std::string long_dotdot = "/+icing/rev100/";
  for (int i = 0; i < 2000; ++i) long_dotdot += "../";
  long_dotdot += "canary.txt";
  std::string long_deep = "/+icing/rev100/";
  for (int i = 0; i < 3000; ++i) long_deep += "a/";
  long_deep += "x.css";
  std::vector<PathRow> v = {
      // Controls: what the module serves.
      {"VersionedAsset", "/+icing/rev100/css/app.css", 200, kApp100, 301},
      {"CurrentAsset", "/+icing/css/app.css", 200, kApp100, 301},
      {"OtherRevisionPinned", "/+icing/rev101/css/app.css", 200, kApp101, 301},
      {"QueryIsNotAPath", "/+icing/rev100/css/app.css?../../canary.txt", 200, kApp100, 301},
      // CVE-2021-41773: ".%2e" dot segments.
      {"Cve202141773EtcPasswd", "/+icing/rev100/.%2e/.%2e/etc/passwd", 404, "", 301},
      {"Cve202141773AboveRoot", "/+icing/rev100/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd", 404, "", 301, 400},
      {"Cve202141773RevisionDir", "/+icing/rev100/.%2e/canary.txt", 404, "", 301},
      {"Cve202141773NextToStore", "/+icing/rev100/.%2e/.%2e/canary.txt", 404, "", 301},
      {"Cve202141773OtherRevision", "/+icing/rev100/.%2e/rev101/css/app.css", 404, "", 301},
      {"Cve202141773Uppercase", "/+icing/rev100/%2E%2E/canary.txt", 404, "", 301},
      // CVE-2021-42013: double encoding.
      {"Cve202142013PercentPercent", "/+icing/rev100/%%32%65%%32%65/canary.txt", 400, "", 301},
      {"Cve202142013DotPercentPercent", "/+icing/rev100/.%%32%65/.%%32%65/etc/passwd", 400, "", 301},
      {"Cve202142013Percent25", "/+icing/rev100/%25%32%65%25%32%65/canary.txt", 404, "", 301},
      {"Cve202142013Dot252e", "/+icing/rev100/.%252e/.%252e/etc/passwd", 404, "", 301},
      {"DecodedOnceIsAName", "/+icing/rev100/%252e%252e.css", 200, "a file literally named %2e%2e.css\n", 301},
      // CVE-2020-1927: CR LF in a path; no header may come of it.
      {"Cve20201927CrLfUrl", "/+icing/rev100/%0D%0Ahttp://127.0.0.1/", 404, "", 301},
      {"CrLfSetCookie", "/+icing/rev100/css/app.css%0D%0ASet-Cookie:%20x=1", 404, "", 301},
      {"CrLfCurrent", "/+icing/%0d%0aX-Injected:%201", 404, "", 301},
      {"LfOnly", "/+icing/rev100/%0aX-Injected:%201", 404, "", 301},
      // Plain dot segments and slashes.
      {"DotDotToRevisionDir", "/+icing/rev100/../canary.txt", 404, "", 301},
      {"DotDotToDocroot", "/+icing/rev100/../../", 404, kDocrootIndex, 301, 200},
      {"DotDotToCanary", "/+icing/rev100/../../canary.txt", 404, "", 301},
      {"DotDotAboveRoot", "/+icing/rev100/../../../../canary.txt", 404, "", 301, 400},
      {"DotDotOtherRevision", "/+icing/rev100/../rev101/css/app.css", 404, "", 301},
      {"DotSegment", "/+icing/rev100/./css/app.css", 404, "", 301},
      {"DoubleSlashInside", "/+icing/rev100//css/app.css", 404, "", 301},
      {"DoubleSlashAfterPrefix", "/+icing//rev100/css/app.css", 404, "", 301},
      {"LeadingDoubleSlash", "//+icing/rev100/css/app.css", 404, "", 301},
      {"TrailingSlash", "/+icing/rev100/css/app.css/", 404, "", 301},
      {"PathParameter", "/+icing/rev100/css/app.css;.txt", 404, "", 301},
      // Encoded slashes (AllowEncodedSlashes Off) and backslashes.
      {"EncodedSlashAfterRevision", "/+icing/rev100%2Fcss%2Fapp.css", 404, "", 301},
      {"EncodedSlashInside", "/+icing/rev100/css%2fapp.css", 404, "", 301},
      {"EncodedSlashTraversal", "/+icing/rev100/..%2f..%2fcanary.txt", 404, "", 301},
      {"Backslashes", "/+icing/rev100/..\\..\\canary.txt", 404, "", 301},
      {"EncodedBackslashes", "/+icing/rev100/..%5c..%5ccanary.txt", 404, "", 301},
      {"BackslashAfterRevision", "/+icing/rev100\\..\\rev101/css/app.css", 404, "", 301},
      // Overlong UTF-8 for '.' and '/', and NUL.
      {"OverlongDots", "/+icing/rev100/%c0%ae%c0%ae/canary.txt", 404, "", 301},
      {"OverlongSlash", "/+icing/rev100/..%c0%af..%c0%afcanary.txt", 404, "", 301},
      {"OverlongThreeByteDots", "/+icing/rev100/%e0%80%ae%e0%80%ae/canary.txt", 404, "", 301},
      {"EncodedNulBeforeExtension", "/+icing/rev100/css/app.css%00.txt", 404, "", 301},
      {"EncodedNulAtEnd", "/+icing/rev100/canary.txt%00", 404, "", 301},
      {"EncodedNulThenDotDot", "/+icing/rev100/%00/../canary.txt", 404, "", 301},
      // Revision ids that are not ones.
      {"RevisionDotDot", "/+icing/rev../canary.txt", 404, "", 301},
      {"RevisionEncodedDotDot", "/+icing/rev%2e%2e/canary.txt", 404, "", 301},
      {"RevisionEncodedSlash", "/+icing/rev..%2f..%2fcanary.txt", 404, "", 301},
      {"RevisionEmpty", "/+icing/rev/canary.txt", 404, "", 301},
      {"RevisionUpperCase", "/+icing/REV100/css/app.css", 404, "", 301},
      // The store's own layout is not reachable by URL.
      {"RevisionMetadata", "/+icing/rev100/INDEX", 404, "", 301},
      {"RevisionSums", "/+icing/rev100/SHA256SUMS", 404, "", 301},
      {"CanaryInRevisionDir", "/+icing/rev100/canary.txt", 404, "", 301},
      {"FilesDirectory", "/+icing/rev100/files/css/app.css", 404, "", 301},
      {"CurrentLink", "/+icing/current/css/app.css", 404, "", 301},
      {"RevisionsDirectory", "/+icing/revisions/100/files/css/app.css", 404, "", 301},
      // Length.
      {"Path8000Bytes", "/+icing/rev100/" + long_name, 404, "", 301},
      {"Path9000Bytes", "/+icing/rev100/" + long_name + std::string(1000, 'a'), 414, "", 414},
      {"LongDotDotChain", long_dotdot, 404, "", 301, 400},
      {"LongDeepPath", long_deep, 404, "", 301},
      // Names that differ only in case or Unicode form: each its own file.
      {"NfcName", "/+icing/rev100/caf%C3%A9.css", 200, "NFC: e-acute is one code point\n", 301},
      {"NfcNameLowerHex", "/+icing/rev100/caf%c3%a9.css", 200, "NFC: e-acute is one code point\n", 301},
      {"NfcNameRawUtf8", "/+icing/rev100/caf\xc3\xa9.css", 200, "NFC: e-acute is one code point\n", 301},
      {"NfdName", "/+icing/rev100/cafe%CC%81.css", 200, "NFD: e then a combining acute\n", 301},
      {"NfcUpperCaseIsAbsent", "/+icing/rev100/CAF%C3%89.css", 404, "", 301},
      {"UpperCaseName", "/+icing/rev100/A.css", 200, "upper-case A\n", 301},
      {"LowerCaseName", "/+icing/rev100/a.css", 200, "lower-case a\n", 301},
      {"PrefixCase", "/+ICING/rev100/css/app.css", 404, "", 301},
      {"EncodedPrefixPlus", "/%2bicing/rev100/css/app.css", 200, kApp100, 301},
  };
  return v;
}

std::string get_path(const std::string& target, const std::string& host) {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
}

// The module's quick handler claims every raw target under the prefix, so dot segments
// there end in its 404; with the quick handler off httpd normalises the path first.
class IcingPathTest : public AdversarialTest, public ::testing::WithParamInterface<PathRow> {
 protected:
  void expect_asset_host_safe(long status) {
    const PathRow& row = GetParam();
    RawResponse r = send(get_path(row.target, "localhost"));
    ASSERT_TRUE(r.error.empty()) << r.error;
    expect_status(r, status);
    EXPECT_TRUE(r.status == 200 || r.status == 400 || r.status == 403 || r.status == 404 || r.status == 414)
        << r.status;
    if (r.status == 200) {
      EXPECT_EQ(r.body, row.body);
    }
    EXPECT_EQ(r.header_count("location"), 0) << r.raw;
    expect_safe(r, r.status == 200);
  }
};

class IcingSlowPathTest : public IcingPathTest {
 protected:
  static void SetUpTestSuite() { start_site("LPIcingQuickHandler Off\n"); }
};

TEST_P(IcingPathTest, AssetHostAnswersSafely) { expect_asset_host_safe(GetParam().status); }

TEST_P(IcingSlowPathTest, AssetHostAnswersSafely) {
  expect_asset_host_safe(GetParam().slow_status == kSameStatus ? GetParam().status : GetParam().slow_status);
}

TEST_P(IcingPathTest, EdgeHostRedirectsTheRawTargetOrRefuses) {
  const PathRow& row = GetParam();
  RawResponse r = send(get_path(row.target, kEdgeHost));
  ASSERT_TRUE(r.error.empty()) << r.error;
  expect_status(r, row.edge_status);
  if (row.edge_status == 301) {
    EXPECT_EQ(r.header("location"), kProductionUrl + row.target);
  } else {
    EXPECT_EQ(r.header_count("location"), 0) << r.raw;
  }
  expect_safe(r, false);
}

INSTANTIATE_TEST_SUITE_P(Table, IcingPathTest, ::testing::ValuesIn(path_rows()),
                         [](const ::testing::TestParamInfo<PathRow>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Table, IcingSlowPathTest, ::testing::ValuesIn(path_rows()),
                         [](const ::testing::TestParamInfo<PathRow>& info) { return info.param.name; });

}  // namespace
}  // namespace lpweb::test
