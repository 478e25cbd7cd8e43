// The framing rules of RFC 9112 that Beast's parser leaves to us, on headers as the parser leaves them:
// the smuggling shapes of issue 14 (xchunked, gzip with Content-Length, no Host) and their neighbours.
#include "http/request_framing.hpp"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace hserver::service {
namespace {
namespace bhttp = boost::beast::http;

// The header as Session sees it after async_read_header; fails the test when Beast refuses it itself.
bhttp::request_header<> parsed(std::string_view head) {
  bhttp::request_parser<bhttp::empty_body> parser;
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  EXPECT_FALSE(ec) << ec.message() << " in\n" << head;
  EXPECT_TRUE(parser.is_header_done()) << head;
  return parser.get().base();
}

// Beast's own verdict on a header, for the shapes it refuses before we see them.
boost::beast::error_code beast_verdict(std::string_view head) {
  bhttp::request_parser<bhttp::empty_body> parser;
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  return ec;
}

std::string why(std::string_view head, std::uint16_t status = 400) {
  const auto refusal = check_request_framing(parsed(head));
  if (!refusal) {
    ADD_FAILURE() << "accepted:\n" << head;
    return {};
  }
  EXPECT_EQ(refusal->status, status) << head;
  return refusal->why;
}

bool accepted(std::string_view head) {
  return !check_request_framing(parsed(head)).has_value();
}

TEST(RequestFraming, ATransferEncodingThatDoesNotEndInChunkedIsRefused) {
  // Beast reads no body here: a proxy that took "xchunked" for chunked would pass a second request inside.
  EXPECT_NE(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n").find("not chunked"),
            std::string::npos);
  EXPECT_NE(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").find("not chunked"),
            std::string::npos);
  EXPECT_NE(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n").find("not chunked"), std::string::npos);
  // Beast takes the first "chunked" and, with another after it, reads no body at all.
  EXPECT_NE(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n").find("more than once"),
            std::string::npos);
  EXPECT_NE(
      why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: x\r\n\r\n").find("not chunked"),
      std::string::npos);
}

TEST(RequestFraming, TransferEncodingWithContentLengthIsRefused) {
  // Beast frames this one by Content-Length; a proxy that honours Transfer-Encoding does not.
  EXPECT_NE(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n")
                .find("both Transfer-Encoding and Content-Length"),
            std::string::npos);
  // These two orders Beast refuses itself (Session counts them as bad framing too).
  EXPECT_EQ(beast_verdict("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            bhttp::error::bad_content_length);
  EXPECT_EQ(beast_verdict("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bhttp::error::bad_transfer_encoding);
}

TEST(RequestFraming, OtherCodingsBeforeChunkedAreNotImplemented) {
  EXPECT_EQ(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            "the transfer coding \"gzip\" is not implemented");
  EXPECT_EQ(why("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            "the transfer coding \"gzip\" is not implemented");
}

TEST(RequestFraming, TransferEncodingInHttp10IsRefused) {
  EXPECT_NE(why("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").find("HTTP/1.0"), std::string::npos);
}

TEST(RequestFraming, PlainChunkedAndContentLengthPass) {
  EXPECT_TRUE(accepted("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_TRUE(accepted("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n"));
  EXPECT_TRUE(accepted("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked ,\r\n\r\n"));
  EXPECT_TRUE(accepted("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"));
  // The same length twice is one length (RFC 9110 8.6), as Beast reads it.
  EXPECT_TRUE(accepted("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 05\r\n\r\n"));
  EXPECT_TRUE(accepted("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(accepted("GET / HTTP/1.0\r\n\r\n"));  // HTTP/1.0 needs no Host
}

TEST(RequestFraming, DifferingContentLengthsAreRefused) {
  // Beast 1.81 refuses them itself, in one field line or several...
  EXPECT_EQ(beast_verdict("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n"),
            bhttp::error::multiple_content_length);
  EXPECT_EQ(beast_verdict("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            bhttp::error::multiple_content_length);
  // ...and the rule holds without the parser's help.
  bhttp::request_header<> header;
  header.version(11);
  header.set(bhttp::field::host, "a");
  header.insert(bhttp::field::content_length, "5");
  header.insert(bhttp::field::content_length, "6");
  const auto refusal = check_request_framing(header);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->why, "Content-Length values that differ");
  header.set(bhttp::field::content_length, "5x");
  ASSERT_TRUE(check_request_framing(header).has_value());
  EXPECT_EQ(check_request_framing(header)->why, "a Content-Length that is not a decimal number");
}

TEST(RequestFraming, HostIsRequiredOnceInHttp11) {
  EXPECT_EQ(why("GET / HTTP/1.1\r\n\r\n"), "an HTTP/1.1 request without a Host header");
  EXPECT_EQ(why("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "more than one Host header");
  EXPECT_EQ(why("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), "more than one Host header");
  EXPECT_EQ(why("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), "an invalid Host header");
  EXPECT_EQ(why("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), "an invalid Host header");
  EXPECT_EQ(why("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n"), "an invalid Host header");
  EXPECT_EQ(why("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), "an invalid Host header");
  EXPECT_EQ(why("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), "an invalid Host header");
  for (const char* host : {"127.0.0.1:3188", "[::1]:3188", "[fe80::1]", "example.com", "1c-server.local:80", ""}) {
    EXPECT_TRUE(accepted(std::string{"GET / HTTP/1.1\r\nHost: "} + host + "\r\n\r\n")) << host;
  }
}

}  // namespace
}  // namespace hserver::service
