// Unit tests of mod_lpedge's core: host matching, Location building, checks.
#include "edge.h"

#include <gtest/gtest.h>

#include "why.h"

namespace lpedge {
namespace {

using lpweb::test::why;

Policy policy_with(std::initializer_list<std::pair<const char*, const char*>> rules) {
  Policy p;
  for (auto& [edge, prod] : rules) EXPECT_EQ(why(p.add_rule(edge, prod)), "") << edge;
  return p;
}

Decision get(const Policy& p, std::string_view host, std::string_view target, std::string_view method = "GET",
             bool secure = false) {
  Request r;
  r.host = host;
  r.target = target;
  r.method = method;
  r.secure = secure;
  return decide(p, r);
}

TEST(EdgeMatch, SubdomainKeepsLeadingLabels) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  Decision d = get(p, "bugs.edge.example.net", "/x?y");
  ASSERT_EQ(d.kind, Decision::redirect);
  EXPECT_EQ(d.location, "http://bugs.example.net/x?y");
}

TEST(EdgeMatch, ExactEdgeHostGoesToBareProductionHost) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "edge.example.net", "/").location, "http://example.net/");
}

TEST(EdgeMatch, MultiLabelSubdomain) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "a.b.edge.example.net", "/z").location, "http://a.b.example.net/z");
}

TEST(EdgeMatch, CaseInsensitiveAndLowercasedInLocation) {
  Policy p = policy_with({{"Edge.Example.NET", "example.net"}});
  EXPECT_EQ(get(p, "BUGS.EDGE.example.net", "/A%2f").location, "http://bugs.example.net/A%2f");
}

TEST(EdgeMatch, PortAndTrailingDotIgnored) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "bugs.edge.example.net.:8080", "/").location, "http://bugs.example.net/");
}

TEST(EdgeMatch, LookAlikesDoNotMatch) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  for (const char* host : {"xedge.example.net", "edge.example.net.evil.com", "example.net", "edge.example.ne",
                           "edge-example.net", "127.0.0.1", "[::1]"})
    EXPECT_EQ(get(p, host, "/").kind, Decision::pass) << host;
}

TEST(EdgeMatch, LongestEdgeHostWins) {
  Policy p = policy_with({{"example.org", "prod.example.com"}, {"edge.example.org", "example.net"}});
  EXPECT_EQ(get(p, "bugs.edge.example.org", "/").location, "http://bugs.example.net/");
  EXPECT_EQ(get(p, "bugs.example.org", "/").location, "http://bugs.prod.example.com/");
}

TEST(EdgeMatch, LongestWinsWhateverTheOrderOfDirectives) {
  Policy p = policy_with({{"edge.example.org", "example.net"}, {"example.org", "prod.example.com"}});
  EXPECT_EQ(get(p, "bugs.edge.example.org", "/").location, "http://bugs.example.net/");
}

TEST(EdgeMatch, ProductionPortGoesIntoLocation) {
  Policy p = policy_with({{"edge.localhost", "localhost:8080"}});
  EXPECT_EQ(get(p, "bugs.edge.localhost:8080", "/a%2Fb?x=1").location, "http://bugs.localhost:8080/a%2Fb?x=1");
}

TEST(EdgeMatch, LeadingLabelsWithStrangeBytesAreNotRedirected) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  for (const char* host : {"evil.com/.edge.example.net", "a@b.edge.example.net", "a..edge.example.net",
                           "-a.edge.example.net", "a b.edge.example.net"})
    EXPECT_EQ(get(p, host, "/").kind, Decision::pass) << host;
}

TEST(EdgeMatch, IpProductionHostTakesOnlyTheBareEdgeHost) {
  Policy p = policy_with({{"edge.localhost", "127.0.0.1:8080"}, {"beta.localhost", "[::1]:8443"}});
  EXPECT_EQ(get(p, "edge.localhost", "/x").location, "http://127.0.0.1:8080/x");
  EXPECT_EQ(get(p, "bugs.edge.localhost", "/x").kind, Decision::pass);
  EXPECT_EQ(get(p, "beta.localhost", "/x").location, "http://[::1]:8443/x");
  EXPECT_EQ(get(p, "bugs.beta.localhost", "/x").kind, Decision::pass);
}

TEST(EdgeMatch, NoHostNoRedirect) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "", "/").kind, Decision::pass);
}

TEST(EdgeLocation, TargetKeptByteForByte) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  for (const char* t : {"/", "/x?", "//a/../b%2F?x", "/%2f%2F%3F%23%25%00", "/a;p=1/b;q?c=d+e", "/\xc3\xa9t\xc3\xa9",
                        "/foo/+bug/1?x=%2F", "//evil.com/x", "/\\evil.com", "/http%3A%2F%2Fevil.com", "/a#frag"})
    EXPECT_EQ(get(p, "bugs.edge.example.net", t).location, std::string("http://bugs.example.net") + t) << t;
}

TEST(EdgeLocation, AbsoluteFormKeepsOnlyPathAndQuery) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "bugs.edge.example.net", "http://bugs.edge.example.net/a?b").location, "http://bugs.example.net/a?b");
  EXPECT_EQ(get(p, "bugs.edge.example.net", "HTTP://user@bugs.edge.example.net:80/a").location,
            "http://bugs.example.net/a");
  EXPECT_EQ(get(p, "bugs.edge.example.net", "http://bugs.edge.example.net").location, "http://bugs.example.net/");
  EXPECT_EQ(get(p, "bugs.edge.example.net", "http://bugs.edge.example.net?q").location, "http://bugs.example.net/?q");
}

TEST(EdgeLocation, AsteriskAndAuthorityFormsPass) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "bugs.edge.example.net", "*", "OPTIONS").kind, Decision::pass);
  EXPECT_EQ(get(p, "bugs.edge.example.net", "bugs.edge.example.net:443", "CONNECT").kind, Decision::pass);
  EXPECT_EQ(get(p, "bugs.edge.example.net", "ftp://x/y").kind, Decision::pass);
}

TEST(EdgeLocation, ControlBytesNeverReachLocation) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  for (const char* t : {"/a\r\nSet-Cookie: x=1", "/a\nb", "/a b", "/a\x7f", "/a\tb"})
    EXPECT_EQ(get(p, "bugs.edge.example.net", t).kind, Decision::bad_request) << t;
}

TEST(EdgeLocation, SchemeSettings) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "edge.example.net", "/", "GET", true).location, "https://example.net/");
  p.scheme = Scheme::https;
  EXPECT_EQ(get(p, "edge.example.net", "/").location, "https://example.net/");
  p.scheme = Scheme::http;
  EXPECT_EQ(get(p, "edge.example.net", "/", "GET", true).location, "http://example.net/");
}

TEST(EdgeStatus, DefaultsAre301ForSafeAnd308ForOthers) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  EXPECT_EQ(get(p, "edge.example.net", "/", "GET").status, 301);
  EXPECT_EQ(get(p, "edge.example.net", "/", "HEAD").status, 301);
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get"})
    EXPECT_EQ(get(p, "edge.example.net", "/", m).status, 308) << m;
}

TEST(EdgeStatus, Configurable) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  p.safe_status = 302;
  p.unsafe_status = 307;
  EXPECT_EQ(get(p, "edge.example.net", "/", "GET").status, 302);
  EXPECT_EQ(get(p, "edge.example.net", "/", "POST").status, 307);
}

TEST(EdgeExempt, SegmentBoundary) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  ASSERT_EQ(why(p.add_exempt("/health")), "");
  ASSERT_EQ(why(p.add_exempt("/.well-known/acme-challenge/")), "");
  EXPECT_EQ(get(p, "edge.example.net", "/health").kind, Decision::pass);
  EXPECT_EQ(get(p, "edge.example.net", "/health?full").kind, Decision::pass);
  EXPECT_EQ(get(p, "edge.example.net", "/health/db").kind, Decision::pass);
  EXPECT_EQ(get(p, "edge.example.net", "/healthz").kind, Decision::redirect);
  EXPECT_EQ(get(p, "edge.example.net", "/.well-known/acme-challenge/tok").kind, Decision::pass);
  EXPECT_EQ(get(p, "edge.example.net", "/.well-known/acme-challengex").kind, Decision::redirect);
}

TEST(EdgeExempt, DotSegmentsCannotWalkOutOfAnExemptPrefix) {
  Policy p = policy_with({{"edge.example.net", "example.net"}});
  ASSERT_EQ(why(p.add_exempt("/.well-known/acme-challenge/")), "");
  for (const char* t : {"/.well-known/acme-challenge/../../secret.txt", "/.well-known/acme-challenge/%2e%2e/x",
                        "/.well-known/acme-challenge/.%2E/x", "/.well-known/acme-challenge/./x",
                        "/.well-known/acme-challenge/%2e"}) {
    Decision d = get(p, "edge.example.net", t);
    EXPECT_EQ(d.kind, Decision::redirect) << t;
    EXPECT_EQ(d.location, std::string("http://example.net") + t) << t;
  }
  EXPECT_EQ(get(p, "edge.example.net", "/.well-known/acme-challenge/...hidden").kind, Decision::pass);
}

TEST(EdgeChecks, EdgeHost) {
  EXPECT_EQ(why(check_edge_host("edge.example.net")), "");
  EXPECT_EQ(why(check_edge_host("edge.example.net.")), "");
  EXPECT_NE(why(check_edge_host("edge..example.net")), "");
  EXPECT_NE(why(check_edge_host("edge.example.net:80")), "");
  EXPECT_NE(why(check_edge_host("*.example.net")), "");
  EXPECT_NE(why(check_edge_host("http://edge")), "");
  EXPECT_NE(why(check_edge_host("")), "");
  EXPECT_NE(why(check_edge_host(std::string(64, 'a') + ".net")), "");
}

TEST(EdgeChecks, ProductionHost) {
  EXPECT_EQ(why(check_production_host("example.net")), "");
  EXPECT_EQ(why(check_production_host("localhost:8080")), "");
  EXPECT_EQ(why(check_production_host("127.0.0.1:80")), "");
  EXPECT_EQ(why(check_production_host("[::1]:8443")), "");
  EXPECT_NE(why(check_production_host("example.net:0")), "");
  EXPECT_NE(why(check_production_host("example.net:65536")), "");
  EXPECT_NE(why(check_production_host("example.net:")), "");
  EXPECT_NE(why(check_production_host("example.net:http")), "");
  EXPECT_NE(why(check_production_host("evil.com/x")), "");
  EXPECT_NE(why(check_production_host("user@example.net")), "");
}

// Found by fuzz_edge_location: text after "]" was taken as the port without a
// ':' check ("[::1]x80" accepted) or fed to std::stoul ("[::1]:abc" threw).
TEST(EdgeChecks, ProductionHostBracketedPortIsChecked) {
  EXPECT_EQ(why(check_production_host("[::1]:8080")), "");
  EXPECT_EQ(why(check_production_host("[::1]x80")), "has a malformed port");
  EXPECT_EQ(why(check_production_host("[::1]:abc")), "has a malformed port");
  EXPECT_EQ(why(check_production_host("[::1]x")), "has a malformed port");
  Policy p;
  EXPECT_EQ(why(p.add_rule("edge.example.net", "[::1]:+80")), "production host '[::1]:+80' has a malformed port");
}

TEST(EdgeChecks, StatusSchemeExemptHeader) {
  EXPECT_EQ(*parse_redirect_status("308"), 308);
  EXPECT_FALSE(parse_redirect_status("200"));
  EXPECT_FALSE(parse_redirect_status("301x"));
  EXPECT_EQ(*parse_scheme("HTTPS"), Scheme::https);
  EXPECT_FALSE(parse_scheme("ftp"));
  EXPECT_NE(why(check_exempt_prefix("health")), "");
  EXPECT_NE(why(check_header_value("a\r\nb")), "");
}

TEST(EdgeRules, LoopsAndDuplicatesRefused) {
  Policy p;
  EXPECT_NE(why(p.add_rule("example.net", "example.net")), "");
  EXPECT_NE(why(p.add_rule("edge.example.net", "www.edge.example.net")), "");
  EXPECT_EQ(why(p.add_rule("edge.example.net", "example.net")), "");
  EXPECT_NE(why(p.add_rule("EDGE.example.net", "example.org")), "");
  EXPECT_NE(why(p.add_rule("net", "example.com")), "");  // would swallow example.net, a production host
}

TEST(EdgeMerge, VirtualHostInheritsUnlessItSetsItsOwn) {
  Policy base = policy_with({{"edge.example.net", "example.net"}});
  base.safe_status = 302;
  ASSERT_EQ(why(base.add_exempt("/health")), "");
  Policy empty;
  Policy inherited = Policy::merge(base, empty);
  EXPECT_EQ(inherited.rules().size(), 1u);
  EXPECT_EQ(inherited.effective_safe_status(), 302);
  EXPECT_EQ(inherited.exempt().size(), 1u);

  Policy own = policy_with({{"beta.example.org", "example.org"}});
  own.safe_status = 307;
  Policy merged = Policy::merge(base, own);
  ASSERT_EQ(merged.rules().size(), 1u);
  EXPECT_EQ(merged.rules()[0].edge_host, "beta.example.org");
  EXPECT_EQ(merged.effective_safe_status(), 307);
  EXPECT_EQ(merged.exempt().size(), 1u);
}

}  // namespace
}  // namespace lpedge
