// The request -> envelope and envelope -> response conversions, without sockets.
#include "http/envelope_conversion.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/field.hpp>
#include "envelope_printers.hpp"

namespace hserver::service {
namespace {
namespace bhttp = boost::beast::http;

HttpRequest make_request(bhttp::verb method, std::string target, std::string body = {}) {
  HttpRequest request{method, target, 11};
  request.set(bhttp::field::host, "localhost");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

TEST(RequestEnvelope, LegacyGetCarriesTheDecodedCodeAndTheRawTarget) {
  auto request = make_request(bhttp::verb::get, "/A+=+1&&2;%0D%0A");
  auto envelope = to_request_envelope(request, RouteMode::legacy, "127.0.0.1:5000");
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->mode, RouteMode::legacy);
  EXPECT_EQ(envelope->method, "GET");
  EXPECT_EQ(envelope->target, "/A+=+1&&2;%0D%0A");
  EXPECT_EQ(envelope->remote_address, "127.0.0.1:5000");
  EXPECT_EQ(envelope->body, "A = 1+2;\r\n");
  EXPECT_EQ(envelope->id, 0u);
  ASSERT_FALSE(envelope->headers.empty());
  EXPECT_EQ(envelope->headers.front(), (Header{"Host", "localhost"}));
}

TEST(RequestEnvelope, LegacyHeadIsAccepted) {
  auto envelope = to_request_envelope(make_request(bhttp::verb::head, "/x"), RouteMode::legacy, "a");
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->method, "HEAD");
  EXPECT_EQ(envelope->body, "x");
}

TEST(RequestEnvelope, LegacyPostIsRefusedWith405) {
  auto envelope = to_request_envelope(make_request(bhttp::verb::post, "/x", "body"), RouteMode::legacy, "a");
  ASSERT_FALSE(envelope.has_value());
  EXPECT_EQ(envelope.error().status, 405);
  EXPECT_EQ(envelope.error().body, "Error: method not allowed");
  EXPECT_EQ(envelope.error().headers, (std::vector<Header>{{"Allow", "GET, HEAD"}}));
}

TEST(RequestEnvelope, LegacyBadEncodingIsRefusedWith400AndTheReason) {
  auto envelope = to_request_envelope(make_request(bhttp::verb::get, "/%G1"), RouteMode::legacy, "a");
  ASSERT_FALSE(envelope.has_value());
  EXPECT_EQ(envelope.error().status, 400);
  EXPECT_EQ(envelope.error().body.rfind("Error: invalid percent-encoding \"%G1\"", 0), 0u) << envelope.error().body;

  auto utf = to_request_envelope(make_request(bhttp::verb::get, "/%FF"), RouteMode::legacy, "a");
  ASSERT_FALSE(utf.has_value());
  EXPECT_EQ(utf.error().status, 400);
  EXPECT_NE(utf.error().body.find("UTF-8"), std::string::npos);
}

TEST(RequestEnvelope, HttpRouteKeepsMethodTargetBodyAndEveryHeaderInOrder) {
  HttpRequest request{bhttp::verb::put, "/api/items?id=7&x=%20", 11};
  request.insert("X-B", "2");
  request.insert("X-A", "1");
  request.insert("X-B", "3");  // duplicate kept
  request.insert("Custom-Unknown", "v");
  request.body() = std::string{"\0binary\xFF", 8};
  request.prepare_payload();

  auto envelope = to_request_envelope(request, RouteMode::http, "[::1]:4000");
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->mode, RouteMode::http);
  EXPECT_EQ(envelope->method, "PUT");
  EXPECT_EQ(envelope->target, "/api/items?id=7&x=%20");
  EXPECT_EQ(envelope->remote_address, "[::1]:4000");
  EXPECT_EQ(envelope->body, std::string("\0binary\xFF", 8));
  // Beast files a repeated name right after its earlier occurrences, so only the order among fields of
  // one name is kept, which is the order RFC 9110 5.3 makes significant.
  const std::vector<Header> expected{
      {"X-B", "2"}, {"X-B", "3"}, {"X-A", "1"}, {"Custom-Unknown", "v"}, {"Content-Length", "8"}};
  EXPECT_EQ(envelope->headers, expected);
}

TEST(RequestEnvelope, HttpRouteKeepsUnknownMethods) {
  HttpRequest request;
  request.method_string("PURGE");
  request.target("/");
  auto envelope = to_request_envelope(request, RouteMode::http, "a");
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->method, "PURGE");
}

TEST(RequestEnvelope, CredentialHeadersAreRemovedWhateverTheirCase) {
  std::vector<Header> headers{
      {"authorization", "Basic eDp5"},       {"X-A", "1"},        {"Cookie", "a=b"}, {"COOKIE", "c=d"},
      {"Proxy-Authorization", "Basic eDp5"}, {"X-Cookie", "kept"}};
  remove_credential_headers(headers);
  const std::vector<Header> expected{{"X-A", "1"}, {"X-Cookie", "kept"}};
  EXPECT_EQ(headers, expected);
}

ResponseEnvelope answer(std::uint16_t status, std::string body, std::vector<Header> headers = {}) {
  ResponseEnvelope envelope;
  envelope.id = 9;
  envelope.status = status;
  envelope.body = std::move(body);
  envelope.headers = std::move(headers);
  return envelope;
}

TEST(HttpResponseFromEnvelope, LegacyIsPlainUtf8TextWithLength) {
  auto response = to_http_response(answer(200, "Готово", {{"Content-Type", "application/json"}}),
                                   ResponseContext{RouteMode::legacy, 11, true, false});
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(std::string{"Готово"}.size()));
  EXPECT_EQ(response[bhttp::field::server].substr(0, 10), "1chserver/");
  EXPECT_EQ(response.body(), "Готово");
  EXPECT_TRUE(response.keep_alive());
}

TEST(HttpResponseFromEnvelope, LegacyErrorFromDispatchPassesThrough) {
  auto response = to_http_response(answer(504, "Error: timeout"), ResponseContext{RouteMode::legacy, 11, true, false});
  EXPECT_EQ(response.result_int(), 504u);
  EXPECT_EQ(response.body(), "Error: timeout");
}

TEST(HttpResponseFromEnvelope, HttpPassesStatusHeadersAndBodyButNotFraming) {
  auto response = to_http_response(answer(201, "{}",
                                          {{"Content-Type", "application/json"},
                                           {"Set-Cookie", "a=1"},
                                           {"Set-Cookie", "b=2"},
                                           {"Content-Length", "999"},
                                           {"Transfer-Encoding", "chunked"},
                                           {"Connection", "upgrade"},
                                           {"Keep-Alive", "timeout=1"}}),
                                   ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(response.result_int(), 201u);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  EXPECT_EQ(response.count(bhttp::field::set_cookie), 2u);
  EXPECT_EQ(response[bhttp::field::content_length], "2");
  EXPECT_EQ(response.count(bhttp::field::transfer_encoding), 0u);
  EXPECT_EQ(response.count(bhttp::field::keep_alive), 0u);
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(response.body(), "{}");
}

TEST(HttpResponseFromEnvelope, ServerHeaderFrom1CWins) {
  auto response =
      to_http_response(answer(200, "", {{"Server", "mine"}}), ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(response.count(bhttp::field::server), 1u);
  EXPECT_EQ(response[bhttp::field::server], "mine");
}

TEST(HttpResponseFromEnvelope, HeadGetsLengthButNoBody) {
  auto response = to_http_response(answer(200, "12345"), ResponseContext{RouteMode::legacy, 11, true, true});
  EXPECT_EQ(response[bhttp::field::content_length], "5");
  EXPECT_TRUE(response.body().empty());
}

TEST(HttpResponseFromEnvelope, NoContentHasNoBody) {
  auto response = to_http_response(answer(204, "ignored"), ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(response.result_int(), 204u);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(response.count(bhttp::field::content_length), 0u);
}

TEST(HttpResponseFromEnvelope, ConnectionCloseAndHttp10) {
  auto closing = to_http_response(answer(200, "x"), ResponseContext{RouteMode::http, 11, false, false});
  EXPECT_FALSE(closing.keep_alive());
  EXPECT_TRUE(closing.need_eof());
  auto old = to_http_response(answer(200, "x"), ResponseContext{RouteMode::http, 10, true, false});
  EXPECT_EQ(old.version(), 10u);
  EXPECT_TRUE(old.keep_alive());
}

TEST(HttpResponseFromEnvelope, InvalidStatusBecomes502) {
  for (std::uint16_t status : std::initializer_list<std::uint16_t>{0, 99, 100, 199, 600, 1000}) {
    auto response = to_http_response(answer(status, "x"), ResponseContext{RouteMode::http, 11, true, false});
    EXPECT_EQ(response.result_int(), 502u) << status;
    EXPECT_EQ(response.body().rfind("Error: 1C answered with an invalid status code", 0), 0u) << response.body();
  }
}

TEST(HttpResponseFromEnvelope, HeaderInjectionBecomes502) {
  auto split = to_http_response(answer(200, "x", {{"X-A", "1\r\nSet-Cookie: evil=1"}}),
                                ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(split.result_int(), 502u);
  EXPECT_EQ(split.count(bhttp::field::set_cookie), 0u);
  auto bad_name = to_http_response(answer(200, "x", {{"X A", "1"}}), ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(bad_name.result_int(), 502u);
  auto empty_name = to_http_response(answer(200, "x", {{"", "1"}}), ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(empty_name.result_int(), 502u);
}

TEST(HttpResponseFromEnvelope, ControlCharactersInAValueBecome502) {
  // RFC 9110 5.5; strict clients (Beast's parser among them) refuse them. Found by tests/fuzz.
  for (const char* value : {"a\x04", "a\x7f", "\x1b[31m"}) {
    auto response =
        to_http_response(answer(200, "x", {{"X-A", value}}), ResponseContext{RouteMode::http, 11, true, false});
    EXPECT_EQ(response.result_int(), 502u) << value;
  }
  auto tab = to_http_response(answer(200, "x", {{"X-A", "a\tb"}}), ResponseContext{RouteMode::http, 11, true, false});
  EXPECT_EQ(tab.result_int(), 200u);
}

TEST(ErrorEnvelope, HasStatusAndErrorBody) {
  auto error = make_error_envelope(503, "paused");
  EXPECT_EQ(error.status, 503);
  EXPECT_EQ(error.body, "Error: paused");
}

TEST(FormatEndpoint, Ipv4AndBracketedIpv6) {
  using boost::asio::ip::make_address;
  using boost::asio::ip::tcp;
  EXPECT_EQ(format_endpoint(tcp::endpoint{make_address("127.0.0.1"), 53122}), "127.0.0.1:53122");
  EXPECT_EQ(format_endpoint(tcp::endpoint{make_address("::1"), 53122}), "[::1]:53122");
}

}  // namespace
}  // namespace hserver::service
